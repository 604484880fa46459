import MailpoolCurl

/// SMTP submission through libcurl: TLS (implicit or STARTTLS, required), AUTH with the account's
/// login, the envelope, and the message as DATA.
public struct SMTPClient: Sendable {
    let engine: CurlEngine
    let endpoint: MailServerEndpoint

    public init(engine: CurlEngine, endpoint: MailServerEndpoint) {
        self.engine = engine
        self.endpoint = endpoint
    }

    /// Replies may take as long as RFC 5321 (4.5.3.2) allows: 10 minutes after the final dot, 5 for the
    /// other commands; a DATA block that moves nothing for 3 minutes fails. No limit on the whole.
    public static let replyTimeout: Double = 600
    public static let stallTimeout: Double = 180

    /// Sends `message` from `sender` to every address in `recipients` (to, cc and bcc alike). A
    /// message handed over whole whose reply never came fails with
    /// ``LegacyMailError/outcomeUnknown(server:detail:)``; libcurl never sends it twice.
    public func send(_ message: [UInt8], from sender: String, to recipients: [String]) async throws(LegacyMailError) {
        let request = MailRequest(url: endpoint.baseURL("smtp"), user: endpoint.user, password: endpoint.password,
                                  requireTLS: true, caFile: endpoint.caFile, upload: message,
                                  mailFrom: "<\(sender)>", recipients: recipients.map { "<\($0)>" }, timeout: 0,
                                  responseTimeout: Self.replyTimeout, stallTimeout: Self.stallTimeout)
        _ = try await engine.mailCommand(request, command: "MAIL/RCPT/DATA", server: endpoint.host)
    }
}
