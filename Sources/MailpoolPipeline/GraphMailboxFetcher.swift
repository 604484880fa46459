import Foundation
import MailpoolAccounts
import MailpoolCore
import MailpoolGraph

/// Fetches through Microsoft Graph: the first page of unread Inbox messages (always the first: settled
/// messages leave it), each one's MIME streamed to the store, its attachments' metadata, then move to
/// Deleted Items and mark read.
public struct GraphMailboxFetcher: MailboxFetcher {
    let clients: GraphClients

    public init(clients: GraphClients) {
        self.clients = clients
    }

    public func fetchBatch(account: EmailAccount, inbound: InboundConfiguration, store: InboundStore,
                           deliver: @Sendable (InboundMailEvent) async throws -> Void) async throws -> (processed: Int, more: Bool) {
        guard case .graph(let settings) = inbound.server else { preconditionFailure("not a GRAPH inbound configuration") }
        let client = clients.client(for: settings)
        let mailbox = inbound.mailbox
        let page = try await client.unreadInboxMessages(mailbox: mailbox, pageSize: inbound.batchSize)
        for message in page.messages {
            let dedupeKey = "graph:\(mailbox.lowercased()):\(message.id)"
            let incoming = try await store.receive { _ = try await client.downloadMIME(mailbox: mailbox, messageID: message.id, to: $0) }
            let attachments = message.hasAttachments == true
                ? try await client.attachments(mailbox: mailbox, messageID: message.id).filter { $0.isInline != true } : []
            let stored = try store.commit(incoming, accountSlug: account.slug, dedupeKey: dedupeKey)
            try await deliver(InboundMailEvent(
                dedupeKey: dedupeKey, account: account.name, mailbox: mailbox, protocol: "GRAPH", graphID: message.id,
                internetMessageID: message.internetMessageId, from: message.from.flatMap(Self.address),
                to: (message.toRecipients ?? []).compactMap(Self.address), cc: (message.ccRecipients ?? []).compactMap(Self.address),
                subject: message.subject ?? "", receivedAt: message.receivedDateTime.flatMap(Self.date),
                size: stored.size, sha256: stored.sha256, storedAt: stored.path,
                attachments: attachments.map { .init(name: $0.name, contentType: $0.contentType, size: $0.size) },
                fetchedAt: Date()))
            // Move first: a crash between the two then leaves an unread message in Deleted Items, never a
            // read one in the Inbox, which the unread listing would not find again. The immutable ID
            // still names the message after the move.
            try await client.moveToDeletedItems(mailbox: mailbox, messageID: message.id)
            try await client.markRead(mailbox: mailbox, messageID: message.id)
        }
        return (page.messages.count, page.nextLink != nil)
    }

    static func address(_ recipient: GraphRecipient) -> InboundMailEvent.Address? {
        recipient.emailAddress.address.map { InboundMailEvent.Address(name: recipient.emailAddress.name, address: $0) }
    }

    static func date(_ text: String) -> Date? {
        try? Date(text, strategy: .iso8601)
    }
}

/// One ``GraphClient`` per app registration and cloud, all sharing one ``GraphContext`` (HTTP engine,
/// token cache, per-mailbox request limit).
public final class GraphClients: Sendable {
    public let context: GraphContext

    public init(context: GraphContext) {
        self.context = context
    }

    public func client(for settings: GraphSettings) -> GraphClient {
        let credential: ClientCredential = switch settings.credential {
        case .secret(let secret): .secret(secret)
        case .certificate(let pem, let key): .certificate(ClientCertificate(certificatePEM: pem, privateKeyPEM: key))
        }
        return GraphClient(app: GraphApp(tenantID: settings.tenantID, clientID: settings.clientID, credential: credential),
                           cloud: GraphCloud(authority: settings.authority, graph: settings.graphBaseURL),
                           context: context)
    }
}
