import Foundation
import MailpoolAccounts
import MailpoolCore
import MailpoolCurl
import MailpoolLegacyMail
import MailpoolPipeline
import MailpoolTestSupport
import Synchronization
import Testing

/// POP3 message numbers belong to one session. If its connection dies and libcurl connects again,
/// the new session may number the messages differently; nothing may then be retrieved or deleted by
/// the old numbers.
@Suite struct POP3SessionTests {
    static let dovecotConfig = (ProcessInfo.processInfo.environment["MAILPOOL_LOCAL_STATE"] ?? "/var/tmp/mailpool") + "/dovecot/dovecot.conf"

    /// How the session's connection goes away while the 10th message is being delivered.
    enum Loss: CaseIterable {
        /// Dovecot cuts it (`doveadm kick`): the session ends without QUIT, nothing is committed.
        case cut
        /// Six other mailboxes are read through the same engine meanwhile, more than its connections
        /// per host (4 here, 16 by default), so libcurl closes the idle session to make room, politely:
        /// QUIT, which commits its 9 deletions and renumbers the rest. The next `DELE 10` on a new
        /// connection would delete the 19th message, unfetched.
        case evicted
    }

    /// 30 messages, one batch; while the 10th is delivered the session's connection goes. The batch
    /// stops at its next command; later batches take the rest. Every message arrives, under its own
    /// UIDL, and none is deleted before it was delivered.
    @Test(arguments: Loss.allCases)
    func aLostConnectionNeverDeletesOrMisnamesAnUnfetchedMessage(_ loss: Loss) async throws {
        let engine = CurlEngine(name: "pop3-drop", maxConnectionsPerHost: 4)
        defer { engine.shutdown() }
        let user = Dovecot.uniqueUser("pop3drop")
        try await Dovecot.seed(user: user, count: 30, engine: engine)
        let subjects = try await subjectsByUIDL(user: user, engine: engine)
        #expect(subjects.count == 30)

        let store = try InboundStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("pop3-\(UUID().uuidString)").path)
        let catalogPath = FileManager.default.temporaryDirectory.appendingPathComponent("pop3-\(UUID().uuidString).json").path
        try #"""
        {"accounts": [{"name": "Drop", "inbound": {"protocol": "POP3", "mailbox": "\#(user)@dovecot.test", "active": true,
          "host": "\#(Dovecot.host)", "port": \#(Dovecot.pop3sPort), "user": "\#(user)", "password": "\#(Dovecot.password)",
          "caFile": "\#(Dovecot.caFile)", "batchSize": 30}}]}
        """#.write(toFile: catalogPath, atomically: true, encoding: .utf8)
        let account = try #require(try AccountCatalog(path: catalogPath).accounts.first)
        let delivered = Mutex<[InboundMailEvent]>([])
        let session = FetchSession(account: account, inbound: account.inbound!, store: store, deliver: { event in
            let count = delivered.withLock { $0.append(event); return $0.count }
            guard count == 10 else { return }
            switch loss {
            case .cut:
                try await kick(user)
            case .evicted:
                for other in 0..<6 { _ = try await POP3Client(engine: engine, endpoint: pop3Endpoint("\(user)-other\(other)")).uniqueIDs() }
            }
        }, quarantined: { _ in Issue.record("nothing should be quarantined") })

        await #expect(throws: LegacyMailError.self) { _ = try await POP3MailboxFetcher(engine: engine).fetchBatch(session) }
        #expect(delivered.withLock { $0.count } == 10, "a command ran on the new connection")
        for _ in 0..<5 where try await !POP3Client(engine: engine, endpoint: pop3Endpoint(user)).uniqueIDs().isEmpty {
            _ = try await POP3MailboxFetcher(engine: engine).fetchBatch(session)
        }

        let events = delivered.withLock { $0 }
        for event in events {
            let uidl = String(event.dedupeKey.split(separator: ":").last ?? "")
            #expect(subjects[uidl] == event.subject, "\(event.subject) stored under the UIDL of \(subjects[uidl] ?? "nothing")")
        }
        #expect(Set(events.map(\.subject)) == Set(subjects.values), "a message was deleted before it was delivered")
        #expect(try await POP3Client(engine: engine, endpoint: pop3Endpoint(user)).uniqueIDs().isEmpty)
    }

    private func pop3Endpoint(_ user: String) -> MailServerEndpoint {
        Dovecot.endpoint(user: user, port: Dovecot.pop3sPort)
    }

    /// Each message's subject by its UIDL, read in a session that deletes nothing.
    private func subjectsByUIDL(user: String, engine: CurlEngine) async throws -> [String: String] {
        let pop3 = POP3Client(engine: engine, endpoint: pop3Endpoint(user))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pop3-\(UUID().uuidString).eml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var subjects: [String: String] = [:]
        for message in try await pop3.uniqueIDs() {
            _ = try await pop3.retrieve(message.number, to: path)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            subjects[message.uidl] = text.split(separator: "\r\n").first { $0.hasPrefix("Subject: ") }.map { String($0.dropFirst(9)) }
        }
        try await pop3.commit()
        return subjects
    }

    /// Cuts every connection of the user (`doveadm kick`): the POP3 session ends without QUIT.
    private func kick(_ user: String) async throws {
        let run = try await runProgram(URL(fileURLWithPath: "/usr/bin/doveadm"), ["-c", Self.dovecotConfig, "kick", user])
        try #require(run.status == 0, "doveadm kick failed")
    }
}
