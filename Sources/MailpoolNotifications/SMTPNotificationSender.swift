import MailpoolAccounts
import MailpoolCurl
import MailpoolLegacyMail
import MailpoolPipeline

/// Sends through an SMTP server (TLS required, AUTH with the account's login). SMTP offers no way to
/// ask what was accepted, so only the dedupe record prevents a second send after a failed attempt, and
/// a send whose reply to the final dot never came (``LegacyMailError/outcomeUnknown(server:detail:)``)
/// is not repeated: it is dead-lettered as `outcome-unknown` for an operator to check and replay.
/// Replies may take as long as RFC 5321 allows (10 minutes after the final dot).
public struct SMTPNotificationSender: NotificationSender {
    let engine: CurlEngine

    public init(engine: CurlEngine) {
        self.engine = engine
    }

    public func send(_ notification: ValidatedNotification, resuming: Bool, stillHeld: @escaping @Sendable () -> Bool) async throws -> SendOutcome {
        guard case .smtp(let settings) = notification.outbound.server else { preconditionFailure("not an SMTP outbound configuration") }
        let request = notification.request
        func entries(_ list: [NotificationRequest.Address]?) -> [(address: String, name: String?)] {
            (list ?? []).map { ($0.address, $0.name) }
        }
        let message = MIMEComposer(
            from: (notification.outbound.mailbox, nil), to: entries(request.to), cc: entries(request.cc),
            replyTo: entries(request.replyTo), subject: request.subject, text: request.text, html: request.html,
            importance: request.importance,
            attachments: notification.attachments.map { .init(name: $0.name, contentType: $0.contentType, content: $0.content) },
            headers: [("X-Mailpool-Notification-Id", request.id)]).compose()
        let recipients = (request.to + (request.cc ?? []) + (request.bcc ?? [])).map(\.address)
        guard stillHeld() else { throw DeliveryReleased() }
        try await SMTPClient(engine: engine, endpoint: MailServerEndpoint(settings))
            .send(message, from: notification.outbound.mailbox, to: recipients)
        return .sent
    }
}
