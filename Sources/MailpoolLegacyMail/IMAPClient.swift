import MailpoolCore
import MailpoolCurl

/// IMAP4 through libcurl: every command reuses the engine's connection to the server (one session).
public struct IMAPClient: Sendable {
    let engine: CurlEngine
    let endpoint: MailServerEndpoint

    public init(engine: CurlEngine, endpoint: MailServerEndpoint) {
        self.engine = engine
        self.endpoint = endpoint
    }

    /// `NOOP`: lets the server report what other sessions changed (new and expunged messages) on this
    /// reused connection, whose view is otherwise fixed at its SELECT.
    public func refresh(_ folder: String = "INBOX") async throws(LegacyMailError) {
        _ = try await command("NOOP", folder: folder)
    }

    /// The folder's UIDVALIDITY: UIDs are stable only while it stays the same.
    public func uidValidity(_ folder: String = "INBOX") async throws(LegacyMailError) -> UInt64 {
        let reply = try await command("STATUS \(Self.quote(folder)) (UIDVALIDITY)", folder: folder)
        guard let range = reply.firstRange(of: "UIDVALIDITY "),
              let value = UInt64(reply[range.upperBound...].prefix { $0.isNumber }) else {
            throw .unexpectedReply(server: endpoint.host, detail: "no UIDVALIDITY in the STATUS reply")
        }
        return value
    }

    /// `UID SEARCH criteria`: the matching UIDs, ascending.
    public func search(_ criteria: String, folder: String = "INBOX") async throws(LegacyMailError) -> [UInt64] {
        let reply = try await command("UID SEARCH \(criteria)", folder: folder)
        guard let line = reply.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("* SEARCH") }) else { return [] }
        return line.dropFirst("* SEARCH".count).split(separator: " ").compactMap { UInt64($0) }.sorted()
    }

    /// Streams the whole message into `path` (`UID FETCH uid BODY[]`, which also sets \Seen); returns its size.
    public func fetch(uid: UInt64, folder: String = "INBOX", to path: String) async throws(LegacyMailError) -> Int {
        try await perform(MailRequest(url: "\(url(folder));UID=\(uid)", user: endpoint.user, password: endpoint.password,
                                      requireTLS: true, caFile: endpoint.caFile),
                          into: .file(path: path), command: "UID FETCH \(uid)").bodyLength
    }

    /// `UID STORE uid +FLAGS (flags)`.
    public func addFlags(_ flags: String, uid: UInt64, folder: String = "INBOX") async throws(LegacyMailError) {
        _ = try await command("UID STORE \(uid) +FLAGS (\(flags))", folder: folder)
    }

    /// `UID MOVE uid destination` (RFC 6851).
    public func move(uid: UInt64, to destination: String, folder: String = "INBOX") async throws(LegacyMailError) {
        _ = try await command("UID MOVE \(uid) \(Self.quote(destination))", folder: folder)
    }

    /// `CREATE folder`.
    public func create(_ folder: String) async throws(LegacyMailError) {
        _ = try await command("CREATE \(Self.quote(folder))", folder: "INBOX")
    }

    /// Flags the message \Deleted and expunges it (`UID EXPUNGE`, RFC 4315).
    public func delete(uid: UInt64, folder: String = "INBOX") async throws(LegacyMailError) {
        try await addFlags("\\Deleted", uid: uid, folder: folder)
        _ = try await command("UID EXPUNGE \(uid)", folder: folder)
    }

    /// `APPEND`s a message (libcurl marks it \Seen).
    public func append(_ message: [UInt8], to folder: String = "INBOX") async throws(LegacyMailError) {
        _ = try await perform(MailRequest(url: url(folder), user: endpoint.user, password: endpoint.password,
                                          requireTLS: true, caFile: endpoint.caFile, upload: message),
                              into: .memory, command: "APPEND")
    }

    /// Runs a command with the folder selected; returns the untagged replies.
    private func command(_ command: String, folder: String) async throws(LegacyMailError) -> String {
        let response = try await perform(MailRequest(url: url(folder), user: endpoint.user, password: endpoint.password,
                                                     customRequest: command, requireTLS: true, caFile: endpoint.caFile),
                                         into: .memory, command: command.split(separator: " ").prefix(2).joined(separator: " "))
        return String(decoding: response.body, as: UTF8.self)
    }

    private func perform(_ request: MailRequest, into sink: ResponseSink, command: String) async throws(LegacyMailError) -> CurlResponse {
        try await engine.mailCommand(request, into: sink, command: command, server: endpoint.host)
    }

    private func url(_ folder: String) -> String {
        "\(endpoint.baseURL("imap"))/\(folder.percentEncoded)"
    }

    static func quote(_ folder: String) -> String {
        "\"" + folder.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }
}
