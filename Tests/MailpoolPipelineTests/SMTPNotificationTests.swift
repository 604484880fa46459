import Foundation
import MailpoolAMQP
import MailpoolCore
import MailpoolCurl
import MailpoolNotifications
import MailpoolPipeline
import MailpoolTestSupport
import Testing

/// The SMTP server `deploy/local/start-smtp.sh` runs (aiosmtpd): STARTTLS 10587, TLS 10465, password
/// `mailpool-test`; it refuses recipients at reject.example (550) and busy.example (451).
enum SMTPServer {
    static let spool = ProcessInfo.processInfo.environment["MAILPOOL_SMTP_SPOOL"] ?? "/var/tmp/mailpool/smtp-spool"

    /// Accepted messages carrying `X-Mailpool-Notification-Id: <id>` for ids starting with `prefix`:
    /// id → (envelope recipients, raw message).
    static func accepted(prefix: String) -> [String: [(to: [String], message: String)]] {
        var result: [String: [(to: [String], message: String)]] = [:]
        for file in (try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? [] where file.hasSuffix(".eml") {
            guard let message = try? String(contentsOfFile: "\(spool)/\(file)", encoding: .utf8),
                  let line = message.components(separatedBy: "\r\n").first(where: { $0.hasPrefix("X-Mailpool-Notification-Id: \(prefix)") }),
                  let envelope = FileManager.default.contents(atPath: "\(spool)/\(file.dropLast(4)).json"),
                  let json = try? JSONSerialization.jsonObject(with: envelope) as? [String: Any] else { continue }
            let id = String(line.dropFirst("X-Mailpool-Notification-Id: ".count))
            result[id, default: []].append(((json["to"] as? [String]) ?? [], message))
        }
        return result
    }
}

@Suite struct SMTPNotificationTests {
    func smtpAccounts(_ fixture: PipelineFixture, port: Int, tls: String, password: String = "mailpool-test") throws {
        try #"""
        {"accounts": [{"name": "Legacy SMTP", "useForNotification": true, "outbound": {"protocol": "SMTP",
          "mailbox": "notifications@contoso.example", "active": true, "host": "127.0.0.1", "port": \#(port), "tls": "\#(tls)",
          "user": "notifications", "password": "\#(password)", "caFile": "\#(Dovecot.caFile)"}}]}
        """#.write(toFile: fixture.accountsPath, atomically: true, encoding: .utf8)
    }

    /// Notifications (300, or `MAILPOOL_CHAOS_NOTIFICATIONS`) through one worker while the server refuses one recipient in ten with 451,
    /// drops the connection before its reply to the final dot for 3 % of them, and the broker closes
    /// the worker's connection mid-run (the redelivered copies come back to the same process, which
    /// waits for the first copy): each is delivered once, and the 3 % are dead-lettered as
    /// outcome-unknown, not sent again. (A worker killed with SIGKILL between the server's acceptance
    /// and the record, and a copy redelivered to another worker before the record is visible, are the
    /// SMTP windows README.md documents.)
    @Test func manyThroughRefusalsLostRepliesAndAClosedConnection() async throws {
        let count = NotificationAmbiguityTests.count
        let fixture = try await PipelineFixture(mailboxes: 0)
        try smtpAccounts(fixture, port: 10465, tls: "implicit")
        let connection = try await fixture.notificationConnection()
        try await startWorker(fixture, ladder: NotificationAmbiguityTests.ladder)
        let prefix = "smtp-many-\(UUID().uuidString.prefix(8))"
        let lost = Set(stride(from: 0, to: count, by: 33).map { "\(prefix)-\($0)" })
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                if index >= 100 { try await group.next() }
                let id = "\(prefix)-\(index)"
                group.addTask {
                    try await fixture.enqueue(notification(id, to: lost.contains(id) ? "someone@lost-reply.example" : "someone@flaky.example"),
                                              on: connection)
                }
            }
            try await group.waitForAll()
        }
        try await eventually(within: 120, "the worker sent little") { SMTPServer.accepted(prefix: prefix).count >= count / 4 }
        try await PipelineFixture.rabbitmqctl("close_all_connections", "--vhost", fixture.vhost, "chaos test")
        let dead = DeadLetters(connection: try await fixture.connect("test-smtp-dlq"))
        var depths: [String: Int] = [:]
        try await eventually(within: 600, "the pool did not drain: \(depths)") {
            guard SMTPServer.accepted(prefix: prefix).count == count else { return false }
            depths = (try? await fixture.queueDepths()) ?? [:]
            return depths.filter { $0.key != NotificationNames.deadQueue }.values.reduce(0, +) == 0
        }
        let accepted = SMTPServer.accepted(prefix: prefix)
        #expect(accepted.count == count)
        #expect(accepted.filter { $0.value.count > 1 }.isEmpty, "delivered twice: \(accepted.filter { $0.value.count > 1 }.keys.sorted().prefix(10))")
        let entries = try await dead.list()
        #expect(Set(entries.map(\.id)) == lost && entries.allSatisfy { $0.reason == NotificationNames.outcomeUnknownReason })
        await fixture.stop()
    }

    func startWorker(_ fixture: PipelineFixture, ladder: RetryLadder = RetryLadder(delays: [0.2, 0.4])) async throws {
        let engine = CurlEngine(name: "test-smtp")
        fixture.track(engine)
        fixture.start(NotificationWorker(
            connection: try await fixture.connect("test-smtp-worker"), catalog: try fixture.catalog(),
            senders: ["SMTP": SMTPNotificationSender(engine: engine)],
            dedupe: try DedupeStore(root: fixture.directory.appendingPathComponent("dedupe").path), rate: nil,
            options: .init(ladder: ladder)))
    }

    @Test(arguments: [(10587, "starttls"), (10465, "implicit")])
    func notificationsGoOutThroughSMTPExactlyOnce(port: Int, tls: String) async throws {
        let fixture = try await PipelineFixture(mailboxes: 0)
        try smtpAccounts(fixture, port: port, tls: tls)
        let connection = try await fixture.notificationConnection()
        try await startWorker(fixture)
        let prefix = "smtp-\(UUID().uuidString.prefix(8))-"
        for index in 0..<20 {
            var request = notification("\(prefix)\(index)", subject: "Résumé of CAR \(index)")
            request.html = "<p>CAR \(index)</p>"
            request.cc = [.init(address: "buyer@contoso.example", name: "Buyer")]
            request.bcc = [.init(address: "audit@contoso.example")]
            request.attachments = [.init(name: "car.pdf", contentType: "application/pdf", contentBase64: Data("%PDF \(index)".utf8).base64EncodedString())]
            try await fixture.enqueue(request, on: connection)
        }
        try await eventually(within: 180, "not all accepted by the SMTP server") { SMTPServer.accepted(prefix: prefix).count == 20 }
        try await Task.sleep(for: .seconds(1))
        let accepted = SMTPServer.accepted(prefix: prefix)
        #expect(accepted.values.allSatisfy { $0.count == 1 }, "a notification was sent twice")
        let (to, message) = try #require(accepted["\(prefix)3"]?.first)
        #expect(Set(to) == ["buyer@customer.example", "buyer@contoso.example", "audit@contoso.example"])
        #expect(!message.contains("audit@contoso.example"), "Bcc leaked into the headers")
        #expect(message.contains("Subject: =?UTF-8?B?") && message.contains("multipart/alternative") && message.contains("filename=\"car.pdf\""))
        await fixture.stop()
    }

    /// The server stores the message and the connection closes before its reply to the final dot: the
    /// outcome is unknown, so the notification is not sent again but dead-lettered as outcome-unknown;
    /// the others go out once each.
    @Test func aLostReplyToTheFinalDotIsDeadLetteredNotSentAgain() async throws {
        let fixture = try await PipelineFixture(mailboxes: 0)
        try smtpAccounts(fixture, port: 10587, tls: "starttls")
        let connection = try await fixture.notificationConnection()
        try await startWorker(fixture)
        let prefix = "smtp-lost-\(UUID().uuidString.prefix(8))"
        for index in 0..<40 {
            let to = index % 10 == 0 ? "someone@lost-reply.example" : "someone@customer.example"
            try await fixture.enqueue(notification("\(prefix)-\(index)", to: to), on: connection)
        }
        let dead = DeadLetters(connection: connection)
        try await eventually(within: 120, "not all settled") {
            let deadCount = try await dead.list().count
            let waiting = try await fixture.queueDepths()[NotificationNames.queue]
            return SMTPServer.accepted(prefix: prefix).count == 40 && deadCount == 4 && waiting == 0
        }
        let entries = try await dead.list()
        #expect(entries.allSatisfy { $0.reason == NotificationNames.outcomeUnknownReason && $0.attempts == 1 })
        #expect(Set(entries.map(\.id)) == Set((0..<4).map { "\(prefix)-\($0 * 10)" }))
        #expect(SMTPServer.accepted(prefix: prefix).values.allSatisfy { $0.count == 1 })
        // An operator who finds one lost replays it: it goes out again although its ID is recorded.
        let first = "\(prefix)-0"
        #expect(try await dead.replay(matching: DeadLetterFilter(id: first)) == 1)
        try await eventually(within: 180, "the replayed notification was not sent") { SMTPServer.accepted(prefix: prefix)[first]?.count == 2 }
        await fixture.stop()
    }

    @Test func refusedRecipientsAndBadPasswordsEndInTheDeadLetterQueue() async throws {
        let fixture = try await PipelineFixture(mailboxes: 0)
        try smtpAccounts(fixture, port: 10587, tls: "starttls")
        let connection = try await fixture.notificationConnection()
        try await startWorker(fixture)
        try await fixture.enqueue(notification("smtp-rejected", to: "someone@reject.example"), on: connection)
        try await fixture.enqueue(notification("smtp-busy", to: "someone@busy.example"), on: connection)
        let dead = DeadLetters(connection: connection)
        try await eventually(within: 180, "not dead-lettered") { try await dead.list().count == 2 }
        let entries = Dictionary(uniqueKeysWithValues: try await dead.list().map { ($0.id, $0) })
        #expect(entries["smtp-rejected"]?.reason == "permanent" && entries["smtp-rejected"]?.attempts == 1)
        #expect(entries["smtp-rejected"]?.lastError?.contains("550") == true)
        #expect(entries["smtp-busy"]?.reason == "retries-exhausted: after 3 attempts")
        await fixture.stop()

        let wrong = try await PipelineFixture(mailboxes: 0)
        try smtpAccounts(wrong, port: 10465, tls: "implicit", password: "not-the-password")
        let wrongConnection = try await wrong.notificationConnection()
        try await startWorker(wrong, ladder: RetryLadder(delays: [0.2, 0.2, 0.2, 0.2]))
        try await wrong.enqueue(notification("smtp-login"), on: wrongConnection)
        let wrongDead = DeadLetters(connection: wrongConnection)
        try await eventually(within: 180, "not dead-lettered") { try await wrongDead.list().count == 1 }
        let entry = try #require(try await wrongDead.list().first)
        #expect(entry.reason == "configuration: account misconfigured after 3 attempts")
        #expect(entry.lastError?.contains("check the user name and password") == true)
        #expect(!entry.errors.joined().contains("not-the-password") && !String(decoding: entry.body, as: UTF8.self).contains("not-the-password"))
        await wrong.stop()
    }
}
