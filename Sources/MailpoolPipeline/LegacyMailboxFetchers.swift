import Foundation
import MailpoolAccounts
import MailpoolCurl
import MailpoolLegacyMail

extension MailServerEndpoint {
    /// The endpoint of an account's IMAP4, POP3 or SMTP side.
    public init(_ settings: ServerSettings) {
        self.init(host: settings.host, port: settings.port, security: settings.tls == .implicit ? .implicitTLS : .startTLS,
                  user: settings.user, password: settings.password, caFile: settings.caFile)
    }
}

/// IMAP4: the UNSEEN messages of INBOX by UID — and those this fetcher had started on, which carry its
/// `MailpoolPending` keyword, because fetching a message sets \Seen before its event is delivered.
/// Per message: keyword, fetch (streamed to the store), event, \Seen, then move to the deleted folder
/// (or flag \Deleted and expunge).
public struct IMAPMailboxFetcher: MailboxFetcher {
    static let pendingKeyword = "MailpoolPending"
    let engine: CurlEngine

    public init(engine: CurlEngine) {
        self.engine = engine
    }

    public func fetchBatch(account: EmailAccount, inbound: InboundConfiguration, store: InboundStore,
                           deliver: @Sendable (InboundMailEvent) async throws -> Void) async throws -> (processed: Int, more: Bool) {
        guard case .imap(let settings) = inbound.server else { preconditionFailure("not an IMAP4 inbound configuration") }
        let imap = IMAPClient(engine: engine, endpoint: MailServerEndpoint(settings))
        try await imap.refresh()
        let validity = try await imap.uidValidity()
        let uids = try await imap.search("OR UNSEEN KEYWORD \(Self.pendingKeyword)")
        for uid in uids.prefix(inbound.batchSize) {
            try await imap.addFlags(Self.pendingKeyword, uid: uid)
            let incoming = try await store.receive { _ = try await imap.fetch(uid: uid, to: $0) }
            try await deliver(try event(for: incoming, dedupeKey: "imap:\(inbound.mailbox.lowercased()):\(validity):\(uid)",
                                        account: account, inbound: inbound, protocolName: "IMAP4", store: store))
            try await imap.addFlags("\\Seen", uid: uid)
            if let folder = settings.deletedFolder {
                try await imap.move(uid: uid, to: folder)
            } else {
                try await imap.delete(uid: uid)
            }
        }
        return (min(uids.count, inbound.batchSize), uids.count > inbound.batchSize)
    }
}

/// POP3: the messages in the maildrop, by UIDL. Each is deleted only after its event is delivered, and
/// the deletions take effect when the session ends; a session that dies deletes nothing.
public struct POP3MailboxFetcher: MailboxFetcher {
    let engine: CurlEngine

    public init(engine: CurlEngine) {
        self.engine = engine
    }

    public func fetchBatch(account: EmailAccount, inbound: InboundConfiguration, store: InboundStore,
                           deliver: @Sendable (InboundMailEvent) async throws -> Void) async throws -> (processed: Int, more: Bool) {
        guard case .pop3(let settings) = inbound.server else { preconditionFailure("not a POP3 inbound configuration") }
        let pop3 = POP3Client(engine: engine, endpoint: MailServerEndpoint(settings))
        let messages = try await pop3.uniqueIDs()
        for message in messages.prefix(inbound.batchSize) {
            let incoming = try await store.receive { _ = try await pop3.retrieve(message.number, to: $0) }
            try await deliver(try event(for: incoming, dedupeKey: "pop3:\(inbound.mailbox.lowercased()):\(message.uidl)",
                                        account: account, inbound: inbound, protocolName: "POP3", store: store))
            try await pop3.delete(message.number)
        }
        try await pop3.commit()
        return (min(messages.count, inbound.batchSize), messages.count > inbound.batchSize)
    }
}

/// Stores a downloaded message and describes it from its own headers.
private func event(for incoming: String, dedupeKey: String, account: EmailAccount, inbound: InboundConfiguration,
                   protocolName: String, store: InboundStore) throws -> InboundMailEvent {
    let summary = try MIMESummary(file: incoming)
    let stored = try store.commit(incoming, accountSlug: account.slug, dedupeKey: dedupeKey)
    return InboundMailEvent(
        dedupeKey: dedupeKey, account: account.name, mailbox: inbound.mailbox, protocol: protocolName, graphID: nil,
        internetMessageID: summary.messageID, from: summary.from, to: summary.to, cc: summary.cc, subject: summary.subject,
        receivedAt: summary.date, size: stored.size, sha256: stored.sha256, storedAt: stored.path,
        attachments: summary.attachments, fetchedAt: Date())
}
