import FoundationEssentials
import MailpoolAccounts
import MailpoolCore
import MailpoolGraph

/// Fetches through Microsoft Graph: the first page of unread Inbox messages (always the first: settled
/// messages leave it), each one's MIME streamed to the store and summarised (attachments included, so
/// that no attachments listing is needed), then move to Deleted Items and mark read: 3 requests per
/// message. A message set aside is moved to the `mailpool-quarantine` folder, unread.
public struct GraphMailboxFetcher: MailboxFetcher {
    let clients: GraphClients

    public init(clients: GraphClients) {
        self.clients = clients
    }

    public func fetchBatch(_ session: FetchSession) async throws -> BatchResult {
        guard case .graph(let settings) = session.inbound.server else { preconditionFailure("not a GRAPH inbound configuration") }
        let client = clients.client(for: settings)
        let mailbox = session.inbound.mailbox
        let page = try await client.unreadInboxMessages(mailbox: mailbox, pageSize: session.inbound.batchSize)
        var result = BatchResult()
        for message in page.messages {
            let dedupeKey = "graph:\(mailbox.lowercased()):\(message.id)"
            try await session.process(MessageReference(dedupeKey: dedupeKey, graphID: message.id), into: &result) {
                let event = try await session.store.withDownload({ _ = try await client.downloadMIME(mailbox: mailbox, messageID: message.id, to: $0) }) { incoming in
                    let summary = try MIMESummary(file: incoming)
                    let stored = try session.store.commit(incoming, accountSlug: session.account.slug, dedupeKey: dedupeKey)
                    return InboundMailEvent(
                        dedupeKey: dedupeKey, account: session.account.name, mailbox: mailbox, protocol: "GRAPH", graphID: message.id,
                        internetMessageID: message.internetMessageId, from: message.from.flatMap(Self.address),
                        to: (message.toRecipients ?? []).compactMap(Self.address), cc: (message.ccRecipients ?? []).compactMap(Self.address),
                        subject: message.subject ?? "", receivedAt: message.receivedDateTime.flatMap(Self.date),
                        size: stored.size, sha256: stored.sha256, storedAt: stored.path, attachments: summary.attachments, fetchedAt: Date())
                }
                try await session.deliver(event)
                try await session.settle {
                    // Move first: a crash between the two then leaves an unread message in Deleted Items, never a
                    // read one in the Inbox, which the unread listing would not find again. The immutable ID
                    // still names the message after the move.
                    try await client.moveToDeletedItems(mailbox: mailbox, messageID: message.id)
                    try await client.markRead(mailbox: mailbox, messageID: message.id)
                }
            } setAside: {
                let folder = try await client.mailFolder(named: quarantineFolderName, mailbox: mailbox)
                try await client.move(mailbox: mailbox, messageID: message.id, to: folder)
                return "mail folder \(quarantineFolderName)"
            }
        }
        result.more = page.nextLink != nil
        return result
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
