import MailpoolCurl

/// One POP3 session through libcurl. Every command is pinned to the connection of the first (see
/// ``ConnectionPin``), so that message numbers always mean what ``uniqueIDs()`` said: if that
/// connection dies, libcurl's new one would be a new session whose numbers may differ (a polite close
/// sends QUIT, which commits deletions and renumbers), so the next command fails instead of running
/// there. Deletions take effect only at ``commit()`` (QUIT); a session that dies before it deletes
/// nothing, so messages are fetched again rather than lost.
public struct POP3Client: Sendable {
    let engine: CurlEngine
    let endpoint: MailServerEndpoint
    let pin = ConnectionPin()

    public init(engine: CurlEngine, endpoint: MailServerEndpoint) {
        self.engine = engine
        self.endpoint = endpoint
    }

    /// `UIDL`: each message's number and unique ID, in order.
    public func uniqueIDs() async throws(LegacyMailError) -> [(number: Int, uidl: String)] {
        let response = try await perform(request(customRequest: "UIDL"), into: .memory, command: "UIDL")
        return String(decoding: response.body, as: UTF8.self).split(whereSeparator: \.isNewline).compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let number = Int(parts[0]) else { return nil }
            return (number, String(parts[1]))
        }
    }

    /// `RETR number`, streamed into `path`; returns the size. Bounded by its pace (nothing for 60 s
    /// fails), not its length, so that a large message on a slow link goes through.
    public func retrieve(_ number: Int, to path: String) async throws(LegacyMailError) -> Int {
        var request = request(path: "/\(number)")
        (request.timeout, request.stallTimeout) = (0, 60)
        return try await perform(request, into: .file(path: path), command: "RETR \(number)").bodyLength
    }

    /// `DELE number`: marks the message; it goes at ``commit()``.
    public func delete(_ number: Int) async throws(LegacyMailError) {
        _ = try await perform(request(path: "/\(number)", customRequest: "DELE", noBody: true), into: .memory, command: "DELE \(number)")
    }

    /// Ends the session (QUIT), which makes the deletions permanent.
    public func commit() async throws(LegacyMailError) {
        _ = try await perform(request(customRequest: "NOOP", noBody: true, closeConnection: true), into: .memory, command: "QUIT")
    }

    private func request(path: String = "/", customRequest: String? = nil, noBody: Bool = false, closeConnection: Bool = false) -> MailRequest {
        MailRequest(url: endpoint.baseURL("pop3") + path, user: endpoint.user, password: endpoint.password,
                    customRequest: customRequest, noBody: noBody, requireTLS: true, caFile: endpoint.caFile,
                    closeConnection: closeConnection, pin: pin)
    }

    private func perform(_ request: MailRequest, into sink: ResponseSink, command: String) async throws(LegacyMailError) -> CurlResponse {
        try await engine.mailCommand(request, into: sink, command: command, server: endpoint.host)
    }
}
