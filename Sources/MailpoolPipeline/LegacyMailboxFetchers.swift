import FoundationEssentials
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

/// IMAP4: the UNSEEN messages of INBOX by UID, read through an ``IMAPReader`` (`BODY.PEEK[]`, so that
/// reading does not set \Seen). Per message: fetch (streamed to the store), event, then \Seen and move
/// to the deleted folder (or flag \Deleted and expunge): a crash before the event is confirmed leaves
/// the message unseen, to be read again. A message set aside is moved to the `mailpool-quarantine` folder.
public struct IMAPMailboxFetcher: MailboxFetcher {
    let engine: CurlEngine

    public init(engine: CurlEngine) {
        self.engine = engine
    }

    public func fetchBatch(_ session: FetchSession) async throws -> BatchResult {
        guard case .imap(let settings) = session.inbound.server else { preconditionFailure("not an IMAP4 inbound configuration") }
        let endpoint = MailServerEndpoint(settings)
        let imap = IMAPClient(engine: engine, endpoint: endpoint)
        try await imap.refresh()
        let validity = try await imap.uidValidity()
        let uids = try await imap.search("UNSEEN")
        var result = BatchResult()
        result.more = uids.count > session.inbound.batchSize
        guard !uids.isEmpty else { return result }
        let reader = try await IMAPReader.open(endpoint: endpoint)
        do {
            for uid in uids.prefix(session.inbound.batchSize) {
                let dedupeKey = "imap:\(session.inbound.mailbox.lowercased()):\(validity):\(uid)"
                try await session.process(MessageReference(dedupeKey: dedupeKey, serverID: String(uid)), into: &result) {
                    let event = try await session.store.withDownload({ _ = try await reader.fetch(uid: uid, to: $0) }) {
                        try legacyEvent(for: $0, dedupeKey: dedupeKey, session: session)
                    }
                    try await session.deliver(event)
                    try await session.settle {
                        try await imap.addFlags("\\Seen", uid: uid)
                        if let folder = settings.deletedFolder {
                            try await imap.move(uid: uid, to: folder)
                        } else {
                            try await imap.delete(uid: uid)
                        }
                    }
                } setAside: {
                    try? await imap.create(quarantineFolderName)  // fails when it exists; the move says if it does not
                    try await imap.move(uid: uid, to: quarantineFolderName)
                    return "IMAP folder \(quarantineFolderName)"
                }
            }
        } catch {
            await reader.close()
            throw error
        }
        await reader.close()
        return result
    }
}

/// POP3: the messages in the maildrop, by UIDL, in one session pinned to one connection. Each is
/// deleted only after its event is delivered, and the deletions take effect when the session ends; a
/// session that dies deletes nothing. A message set aside stays on the server and its UIDL is skipped.
public struct POP3MailboxFetcher: MailboxFetcher {
    let engine: CurlEngine

    public init(engine: CurlEngine) {
        self.engine = engine
    }

    public func fetchBatch(_ session: FetchSession) async throws -> BatchResult {
        guard case .pop3(let settings) = session.inbound.server else { preconditionFailure("not a POP3 inbound configuration") }
        let pop3 = POP3Client(engine: engine, endpoint: MailServerEndpoint(settings))
        let mailbox = session.inbound.mailbox.lowercased()
        let messages = try await pop3.uniqueIDs().filter { !session.isQuarantined("pop3:\(mailbox):\($0.uidl)") }
        var result = BatchResult()
        for message in messages.prefix(session.inbound.batchSize) {
            let dedupeKey = "pop3:\(mailbox):\(message.uidl)"
            try await session.process(MessageReference(dedupeKey: dedupeKey, serverID: message.uidl), into: &result) {
                let event = try await session.store.withDownload({ _ = try await pop3.retrieve(message.number, to: $0) }) {
                    try legacyEvent(for: $0, dedupeKey: dedupeKey, session: session)
                }
                try await session.deliver(event)
                try await session.settle { try await pop3.delete(message.number) }
            } setAside: {
                "left on the POP3 server; its UIDL is skipped"
            }
        }
        try await pop3.commit()
        result.more = messages.count > session.inbound.batchSize
        return result
    }
}

/// Stores a downloaded message and describes it from its own headers.
private func legacyEvent(for incoming: String, dedupeKey: String, session: FetchSession) throws -> InboundMailEvent {
    let summary = try MIMESummary(file: incoming)
    let stored = try session.store.commit(incoming, accountSlug: session.account.slug, dedupeKey: dedupeKey)
    return InboundMailEvent(
        dedupeKey: dedupeKey, account: session.account.name, mailbox: session.inbound.mailbox, protocol: session.inbound.server.protocolName,
        graphID: nil, internetMessageID: summary.messageID, from: summary.from, to: summary.to, cc: summary.cc, subject: summary.subject,
        receivedAt: summary.date, size: stored.size, sha256: stored.sha256, storedAt: stored.path,
        attachments: summary.attachments, fetchedAt: Date())
}
