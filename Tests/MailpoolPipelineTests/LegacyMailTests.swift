import Foundation
import MailpoolAccounts
import MailpoolCore
import MailpoolCurl
import MailpoolLegacyMail
import MailpoolPipeline
import MailpoolTestSupport
import Testing

@Suite struct LegacyMailTests {
    func accountJSON(name: String, protocolName: String, user: String, port: Int, tls: String = "implicit") -> String {
        #"""
        {"name": "\#(name)", "inbound": {"protocol": "\#(protocolName)", "mailbox": "\#(user)@dovecot.test", "active": true,
          "host": "\#(Dovecot.host)", "port": \#(port), "tls": "\#(tls)", "user": "\#(user)", "password": {"env": "DOVECOT_PASSWORD"},
          "caFile": "\#(Dovecot.caFile)", "pollIntervalSeconds": 1, "batchSize": 10}}
        """#
    }

    /// IMAP4 over implicit TLS and over STARTTLS, and POP3 over TLS, through the poller and a fetch
    /// worker: every message arrives once with its headers and attachments, stored byte for byte as
    /// sent, and leaves the INBOX.
    @Test func imapAndPop3MailboxesAreIngested() async throws {
        let fixture = try await PipelineFixture(mailboxes: 0)
        let engine = CurlEngine(name: "dovecot-seed")
        defer { engine.shutdown() }
        let (imapUser, startTLSUser, popUser) = (Dovecot.uniqueUser("imap"), Dovecot.uniqueUser("starttls"), Dovecot.uniqueUser("pop"))
        var sent: [String: [UInt8]] = [:]  // by account and subject
        for (account, user, count, every) in [("IMAP", imapUser, 25, 5), ("STARTTLS", startTLSUser, 3, 0), ("POP", popUser, 12, 4)] {
            for (index, message) in try await Dovecot.seed(user: user, count: count, attachmentEvery: every, engine: engine).enumerated() {
                sent["\(account) COA \(index)"] = message
            }
        }
        try fixture.writeAccounts(active: [], extra: [
            accountJSON(name: "IMAP", protocolName: "IMAP4", user: imapUser, port: Dovecot.imapsPort),
            accountJSON(name: "STARTTLS", protocolName: "IMAP4", user: startTLSUser, port: Dovecot.imapPort, tls: "starttls"),
            accountJSON(name: "POP", protocolName: "POP3", user: popUser, port: Dovecot.pop3sPort),
        ])
        let events = try await fixture.collectEvents()
        try await fixture.startPoller(environment: ["DOVECOT_PASSWORD": Dovecot.password])
        try await fixture.startWorker(environment: ["DOVECOT_PASSWORD": Dovecot.password])
        try await eventually(within: 120, "only \(events.count) of 40 events arrived") { events.count >= 40 }
        try await fixture.drain(events)
        let all = events.all
        #expect(all.count == 40)
        for event in all {
            let stored = FileManager.default.contents(atPath: fixture.store.root + "/" + event.storedAt).map(Array.init)
            #expect(stored == sent["\(event.account) \(event.subject)"], "\(event.account) \(event.subject) stored differently")
        }
        #expect(Set(all.map(\.dedupeKey)).count == 40)
        let imap = all.filter { $0.account == "IMAP" }
        #expect(imap.count == 25 && imap.allSatisfy { $0.protocol == "IMAP4" && $0.dedupeKey.hasPrefix("imap:") })
        #expect(imap.filter { !$0.attachments.isEmpty }.count == 5)
        let sample = try #require(imap.first { $0.subject == "COA 5" })
        #expect(sample.from == .init(name: "Lab 5", address: "lab@vendor.example"))
        #expect(sample.cc.map(\.address) == ["qa@contoso.example"])
        #expect(sample.attachments == [.init(name: "coa-5.pdf", contentType: "application/pdf", size: 3000)])
        #expect(sample.internetMessageID?.hasPrefix("<coa-5-") == true)
        #expect(sample.receivedAt == Date(timeIntervalSince1970: 1_795_773_600))  // its Date: header
        let pop = all.filter { $0.account == "POP" }
        #expect(pop.count == 12 && pop.allSatisfy { $0.dedupeKey.hasPrefix("pop3:") } && pop.filter { !$0.attachments.isEmpty }.count == 3)
        #expect(all.filter { $0.account == "STARTTLS" }.count == 3)

        for user in [imapUser, startTLSUser] {
            let client = IMAPClient(engine: engine, endpoint: Dovecot.endpoint(user: user))
            try await client.refresh()
            #expect(try await client.search("ALL").isEmpty, "\(user)'s INBOX is not empty")
            #expect(try await client.search("SEEN", folder: "Trash").count == (user == imapUser ? 25 : 3))
        }
        let pop3 = POP3Client(engine: engine, endpoint: Dovecot.endpoint(user: popUser, port: Dovecot.pop3sPort))
        #expect(try await pop3.uniqueIDs().isEmpty)
        try await pop3.commit()
        await fixture.stop()
    }

    /// A crash between fetching a message and delivering its event (here the delivery fails, as when
    /// its confirm never comes, so that nothing after the fetch runs) leaves the message unseen on the
    /// server, and the next batch delivers it, marked as a possible repeat; the message not tried
    /// before is not marked.
    @Test func imapMessageFetchedButNotDeliveredStaysUnseen() async throws {
        let engine = CurlEngine(name: "dovecot-crash")
        defer { engine.shutdown() }
        let user = Dovecot.uniqueUser("crash")
        try await Dovecot.seed(user: user, count: 2, engine: engine)
        let client = IMAPClient(engine: engine, endpoint: Dovecot.endpoint(user: user))
        #expect(try await client.search("UNSEEN") == [1, 2])

        let store = try InboundStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(UUID().uuidString)").path)
        let catalogPath = FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(UUID().uuidString).json").path
        try #"{"accounts": [\#(accountJSON(name: "Crash", protocolName: "IMAP4", user: user, port: Dovecot.imapsPort))]}"#
            .write(toFile: catalogPath, atomically: true, encoding: .utf8)
        let account = try #require(try AccountCatalog(path: catalogPath, environment: ["DOVECOT_PASSWORD": Dovecot.password]).accounts.first)
        struct Crash: Error {}
        let crashed = Locked<[String]>([])
        let crashing = FetchSession(account: account, inbound: account.inbound!, store: store,
                                    deliver: { event in crashed.withLock { $0.append(event.subject) }; throw Crash() }, quarantined: { _ in })
        await #expect(throws: Crash.self) { _ = try await IMAPMailboxFetcher(engine: engine).fetchBatch(crashing) }
        #expect(try await client.search("UNSEEN") == [1, 2], "fetching set \\Seen")
        #expect(crashed.value.count == 1, "the batch went on after a failure that is not the message's")

        let delivered = Locked<[String]>([])
        let repeats = Locked<[String]>([])
        let result = try await IMAPMailboxFetcher(engine: engine).fetchBatch(FetchSession(
            account: account, inbound: account.inbound!, store: store,
            deliver: { event in
                delivered.withLock { $0.append(event.subject) }
                if event.possibleRepeat == true { repeats.withLock { $0.append(event.subject) } }
            }, quarantined: { _ in }))
        #expect(result.processed == 2 && !result.more)
        #expect(delivered.value.sorted() == ["COA 0", "COA 1"])
        #expect(repeats.value == crashed.value, "only the event whose earlier publish went unconfirmed is a possible repeat")
        #expect(try await client.search("ALL").isEmpty, "settled messages left the INBOX")
    }

    @Test func wrongPasswordIsAnAuthenticationError() async throws {
        let engine = CurlEngine(name: "dovecot-auth")
        defer { engine.shutdown() }
        let imap = IMAPClient(engine: engine, endpoint: Dovecot.endpoint(user: "anyone", password: "wrong"))
        await #expect(throws: LegacyMailError.authenticationFailed(server: "\(Dovecot.host):\(Dovecot.imapsPort)")) {
            _ = try await imap.search("ALL")
        }
        let pop3 = POP3Client(engine: engine, endpoint: Dovecot.endpoint(user: "anyone", port: Dovecot.pop3sPort, password: "wrong"))
        await #expect(throws: LegacyMailError.authenticationFailed(server: "\(Dovecot.host):\(Dovecot.pop3sPort)")) {
            _ = try await pop3.uniqueIDs()
        }
    }
}

/// Shared mutable state for test closures.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&stored)
    }

    var value: Value { withLock { $0 } }
}
