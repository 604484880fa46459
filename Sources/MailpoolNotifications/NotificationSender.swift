import MailpoolAccounts
import MailpoolCurl
import MailpoolGraph
import MailpoolLegacyMail
import MailpoolPipeline

/// Sends validated notifications through one protocol.
public protocol NotificationSender: Sendable {
    func send(_ notification: ValidatedNotification) async throws
    /// Whether the server already accepted this notification (checked before sending again after a
    /// retry or redelivery, when a previous attempt may have got through unseen).
    func alreadySent(_ notification: ValidatedNotification) async throws -> Bool
}

/// Sends through Graph `sendMail` (inline attachments up to 3 MB, upload sessions above). The
/// notification ID travels as an extended property and an `x-mailpool-notification-id` header, so that
/// Sent Items can tell whether an attempt that seemed to fail got through.
public struct GraphNotificationSender: NotificationSender {
    let clients: GraphClients

    public init(clients: GraphClients) {
        self.clients = clients
    }

    public func send(_ notification: ValidatedNotification) async throws {
        let request = notification.request
        func addresses(_ list: [NotificationRequest.Address]?) -> [MailAddress] {
            (list ?? []).map { MailAddress($0.address, name: $0.name) }
        }
        let mail = OutgoingMail(
            subject: request.subject, body: request.html ?? request.text ?? "", bodyType: request.html != nil ? .html : .text,
            to: addresses(request.to), cc: addresses(request.cc), bcc: addresses(request.bcc), replyTo: addresses(request.replyTo),
            importance: OutgoingMail.Importance(rawValue: request.importance ?? "normal") ?? .normal,
            attachments: notification.attachments.map { MailAttachment(name: $0.name, contentType: $0.contentType, content: $0.content) },
            headers: [("x-mailpool-notification-id", request.id)], idempotencyKey: request.id)
        try await clients.client(for: try settings(notification)).sendMail(from: notification.outbound.mailbox, mail)
    }

    public func alreadySent(_ notification: ValidatedNotification) async throws -> Bool {
        try await clients.client(for: try settings(notification))
            .sentMessageExists(mailbox: notification.outbound.mailbox, idempotencyKey: notification.request.id)
    }

    private func settings(_ notification: ValidatedNotification) throws -> GraphSettings {
        guard case .graph(let settings) = notification.outbound.server else { preconditionFailure("not a GRAPH outbound configuration") }
        return settings
    }
}

/// Sends through an SMTP server (TLS required, AUTH with the account's login). SMTP offers no way to
/// ask what was accepted, so after a failed attempt only the dedupe record prevents a second send.
public struct SMTPNotificationSender: NotificationSender {
    let engine: CurlEngine

    public init(engine: CurlEngine) {
        self.engine = engine
    }

    public func send(_ notification: ValidatedNotification) async throws {
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
        try await SMTPClient(engine: engine, endpoint: MailServerEndpoint(settings))
            .send(message, from: notification.outbound.mailbox, to: recipients)
    }

    public func alreadySent(_ notification: ValidatedNotification) async throws -> Bool { false }
}
