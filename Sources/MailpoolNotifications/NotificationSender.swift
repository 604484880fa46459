import MailpoolAccounts
import MailpoolGraph
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
