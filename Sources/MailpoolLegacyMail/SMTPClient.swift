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

    /// Sends `message` from `sender` to every address in `recipients` (to, cc and bcc alike).
    public func send(_ message: [UInt8], from sender: String, to recipients: [String]) async throws(LegacyMailError) {
        let request = MailRequest(url: endpoint.baseURL("smtp"), user: endpoint.user, password: endpoint.password,
                                  requireTLS: true, caFile: endpoint.caFile, upload: message,
                                  mailFrom: "<\(sender)>", recipients: recipients.map { "<\($0)>" })
        _ = try await engine.mailCommand(request, command: "MAIL/RCPT/DATA", server: endpoint.host)
    }
}
