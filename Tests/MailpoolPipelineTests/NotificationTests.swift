import Foundation
import GraphSandbox
import MailpoolAMQP
import MailpoolCore
import MailpoolGraph
import MailpoolNotifications
import MailpoolTestSupport
import Testing

@Suite struct NotificationTests {
    @Test func thousandNotificationsAreDeliveredExactlyOnce() async throws {
        let fixture = try await PipelineFixture(mailboxes: 2)
        try fixture.writeNotificationAccounts()
        let connection = try await fixture.notificationConnection()
        try await fixture.startNotificationWorker()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<1000 {
                if index >= 100 { try await group.next() }
                group.addTask { try await fixture.enqueue(notification("n-\(index)"), on: connection) }
            }
            try await group.waitForAll()
        }
        try await eventually(within: 180, "not all sent") { await fixture.sentCounts().count == 1000 }
        try await Task.sleep(for: .seconds(1))
        let counts = await fixture.sentCounts()
        #expect(counts.count == 1000 && counts.values.allSatisfy { $0 == 1 })
        let first = try #require(await fixture.sandbox.sent(from: PipelineFixture.sender).first)
        #expect(first.toRecipients == ["buyer@customer.example"] && first.subject == "Corrective action request")
        await fixture.stop()
    }

    @Test func faultsAndThrottlingStillDeliverExactlyOnce() async throws {
        let fixture = try await PipelineFixture(mailboxes: 2)
        try fixture.writeNotificationAccounts()
        // A 503 on creating or sending a draft is not retried in place (Graph may have done the work): the
        // attempt fails and the next one looks first. At 10 % per request an attempt fails about one time
        // in five; 8 ladder steps leave a chance near 1 in 10 million per notification of exhausting them.
        await fixture.sandbox.setFaults(SandboxFaults(serviceUnavailableRate: 0.1, throttleRate: 0.05, throttleRetryAfterSeconds: 1))
        let connection = try await fixture.notificationConnection()
        try await fixture.startNotificationWorker(ladder: NotificationAmbiguityTests.ladder, clientAttempts: 3)
        for index in 0..<300 { try await fixture.enqueue(notification("f-\(index)"), on: connection) }
        try await eventually(within: 180, "not all sent") { await fixture.sentCounts().count == 300 }
        try await Task.sleep(for: .seconds(1))
        let counts = await fixture.sentCounts()
        #expect(counts.count == 300 && counts.values.allSatisfy { $0 == 1 })
        #expect(await fixture.sandbox.statistics().requests.filter { $0.key.hasSuffix(" 503") }.values.reduce(0, +) > 30)
        await fixture.stop()
    }

    @Test func badInputIsDeadLetteredAtOnceWithItsReason() async throws {
        let fixture = try await PipelineFixture(mailboxes: 2)
        try fixture.writeNotificationAccounts()
        let connection = try await fixture.notificationConnection()
        try await fixture.startNotificationWorker(maxPayload: 10_000)
        var named = notification("bad-account")
        named.account = "Nobody"
        var dormant = notification("bad-inactive")
        dormant.account = "Dormant"
        var noRecipient = notification("bad-recipients")
        noRecipient.to = []
        try await fixture.enqueue(body: Array("{not json".utf8), on: connection)
        try await fixture.enqueue(noRecipient, on: connection)
        try await fixture.enqueue(notification("bad-address", to: "not an address"), on: connection)
        try await fixture.enqueue(notification("bad-injection", subject: "Hello\r\nBcc: victim@example.com"), on: connection)
        try await fixture.enqueue(notification("bad-size", subject: String(repeating: "x", count: 20_000)), on: connection)
        try await fixture.enqueue(named, on: connection)
        try await fixture.enqueue(dormant, on: connection)
        try await fixture.enqueue(notification("good"), on: connection)

        try await eventually(within: 180, "the good notification was not sent") { await fixture.sentCounts()["good"] == 1 }
        let dead = DeadLetters(connection: connection)
        try await eventually(within: 120, "not all dead-lettered") { try await dead.list().count == 7 }
        let reasons = try await dead.list().map(\.reason)
        for expected in ["malformed-json", "invalid: no recipient", "invalid: 'not an address' is not an email address",
                         "header-injection: subject contains CR or LF", "oversized", "unknown-account: no account named 'Nobody'",
                         "inactive-account: account 'Dormant'"] {
            #expect(reasons.contains { $0.hasPrefix(expected) }, "no dead letter for \(expected): \(reasons)")
        }
        #expect(try await dead.list().allSatisfy { $0.attempts == 0 })
        #expect(await fixture.sentCounts().count == 1)
        await fixture.stop()
    }

    @Test func retriesFollowTheLadderThenDeadLetterWithHistoryAndReplaySends() async throws {
        let fixture = try await PipelineFixture(mailboxes: 2)
        try fixture.writeNotificationAccounts()
        await fixture.sandbox.setFaults(SandboxFaults(serviceUnavailableRate: 1))
        let connection = try await fixture.notificationConnection()
        try await fixture.startNotificationWorker(ladder: RetryLadder(delays: [0.5, 1.0]), clientAttempts: 1)
        let start = ContinuousClock.now
        try await fixture.enqueue(notification("ladder"), on: connection)
        let dead = DeadLetters(connection: connection)
        try await eventually(within: 180, "never dead-lettered") { try await dead.list().count == 1 }
        let elapsed = ContinuousClock.now - start
        let entry = try #require(try await dead.list().first)
        #expect(entry.id == "ladder")
        #expect(entry.attempts == 3)
        #expect(entry.reason == "retries-exhausted: after 3 attempts")
        #expect(entry.errors.count == 3)
        #expect(entry.firstError?.contains("503") == true && entry.lastError != nil && entry.deadAt != nil)
        #expect(elapsed >= .milliseconds(1500), "the ladder's delays (0.5 s, 1 s) were not waited: \(elapsed)")
        // One draft creation (a 5xx is not retried), then on each retry the lookup by ID that precedes sending again.
        let stats = await fixture.sandbox.statistics()
        #expect(stats.count("POST /v1.0/users/:user/messages 503") == 1)
        #expect(stats.count("GET /v1.0/users/:user/messages 503") == 2)
        #expect(!String(decoding: entry.body, as: UTF8.self).contains(PipelineFixture.secret))

        await fixture.sandbox.setFaults(SandboxFaults())
        #expect(try await dead.replay() == 1)
        try await eventually(within: 180, "the replayed notification was not sent") { await fixture.sentCounts()["ladder"] == 1 }
        #expect(try await dead.list().isEmpty)
        await fixture.stop()
    }

    /// A notification that failed waits on its step of the retry ladder, a quorum queue (replicated,
    /// so no broker node holds it alone). A worker holds it until it is due and gives it back at once
    /// when stopped, so it waits in its queue with no worker; the next worker, giving it back and taking
    /// it again every 2 s (`--retry-hold-limit`), sends it once, when it is due and not before.
    @Test func aNotificationOnTheLadderIsGivenBackOnStopAndSentOnceWhenDue() async throws {
        let fixture = try await PipelineFixture(mailboxes: 2)
        try fixture.writeNotificationAccounts()
        let connection = try await fixture.notificationConnection()
        await fixture.sandbox.setFaults(SandboxFaults(script: [.init(status: 503)]))
        let arguments = ["notification-worker", "--accounts", fixture.accountsPath, "--dedupe", fixture.directory.appendingPathComponent("dedupe").path,
                         "--per-minute", "0", "--retry-ladder", "20", "--shutdown-grace", "60"]
        let first = try MailpoolProcess.start(arguments, amqpURL: fixture.vhostURL)
        let enqueued = ContinuousClock.now
        try await fixture.enqueue(notification("held"), on: connection)
        let step = NotificationNames.retryQueue(delay: 20)
        try await eventually(within: 120, "never put on the ladder") { try await fixture.queueDepths()[step] == 1 }
        #expect(try await connection.queueInfo(step).messageCount == 0, "the worker does not hold the notification it waits for")
        let signalled = ContinuousClock.now
        await first.stop()
        #expect(ContinuousClock.now - signalled < .seconds(15), "the worker kept a notification not yet due past its stop")
        #expect(try await connection.queueInfo(step).messageCount == 1, "the notification was not given back to its step")
        #expect(await fixture.sentCounts().isEmpty)

        let second = try MailpoolProcess.start(arguments + ["--retry-hold-limit", "2"], amqpURL: fixture.vhostURL)
        try await eventually(within: 120, "the notification was not sent") { await fixture.sentCounts()["held"] == 1 }
        #expect(ContinuousClock.now - enqueued >= .seconds(20), "sent before it was due")
        await second.stop()
        #expect(await fixture.sentCounts() == ["held": 1])
        // A quorum queue's count in rabbitmqctl is refreshed every few seconds.
        try await eventually(within: 120, "a copy was left on the ladder") { try await fixture.queueDepths().values.allSatisfy { $0 == 0 } }
        await fixture.stop()
    }

    @Test func aNotificationAlreadyAcceptedIsNotSentAgain() async throws {
        let fixture = try await PipelineFixture(mailboxes: 2)
        try fixture.writeNotificationAccounts()
        let connection = try await fixture.notificationConnection()
        try await fixture.startNotificationWorker()
        // The same ID twice: the dedupe record stops the second.
        try await fixture.enqueue(notification("twice"), on: connection)
        try await eventually(within: 180, "not sent") { await fixture.sentCounts()["twice"] == 1 }
        try await fixture.enqueue(notification("twice"), on: connection)
        // An attempt that got through without being recorded: a retry finds it in Sent Items.
        let client = GraphClient(app: GraphApp(tenantID: PipelineFixture.tenant, clientID: PipelineFixture.client,
                                               credential: .secret(Secret(PipelineFixture.secret))),
                                 cloud: GraphCloud(authority: fixture.running.baseURL, graph: fixture.running.baseURL),
                                 context: GraphContext(pacing: nil))
        try await client.sendMail(from: PipelineFixture.sender, OutgoingMail(
            subject: "earlier attempt", body: "b", to: [MailAddress("buyer@customer.example")],
            headers: [("x-mailpool-notification-id", "ghost")], idempotencyKey: "ghost"))
        try await fixture.enqueue(notification("ghost"), headers: [NotificationNames.Header.attempts: 1], on: connection)
        try await fixture.enqueue(notification("after"), on: connection)
        try await eventually(within: 180, "not sent") { await fixture.sentCounts()["after"] == 1 }
        try await Task.sleep(for: .seconds(1))
        #expect(await fixture.sentCounts() == ["twice": 1, "ghost": 1, "after": 1])
        client.context.engine.shutdown()
        await fixture.stop()
    }

    /// Two workers share one sender's window of 5 messages per 2 s (Exchange's 30 per minute, scaled):
    /// 15 notifications take at least 4 s, and no 2-second span holds more than 5 sends.
    @Test func sendRatePerSenderHoldsAcrossThePool() async throws {
        let fixture = try await PipelineFixture(mailboxes: 2)
        try fixture.writeNotificationAccounts()
        let connection = try await fixture.notificationConnection()
        try await fixture.startNotificationWorker(rate: (5, 2))
        try await fixture.startNotificationWorker(rate: (5, 2))
        let start = ContinuousClock.now
        for index in 0..<15 { try await fixture.enqueue(notification("r-\(index)"), on: connection) }
        try await eventually(within: 120, "not all sent") { await fixture.sentCounts().count == 15 }
        #expect(ContinuousClock.now - start >= .seconds(4))
        await fixture.stop()
    }

    /// Exchange's 4 concurrent requests per mailbox are the pool's: two workers (64 sends in flight
    /// between them, every answer 30 ms late) never have more than 4 requests in progress for their
    /// one sender, as the sandbox counts them.
    @Test func concurrentRequestsPerSenderHoldAcrossThePool() async throws {
        let fixture = try await PipelineFixture(mailboxes: 2)
        try fixture.writeNotificationAccounts()
        let connection = try await fixture.notificationConnection()
        // Sends queue for the sender's 4 slots: give a draft's send the time to get one on a loaded machine.
        try await fixture.startNotificationWorker(sendWindow: 30)
        try await fixture.startNotificationWorker(sendWindow: 30)
        try await eventually(within: 120, "the workers did not start") {
            try await connection.queueInfo(NotificationNames.queue).consumerCount == 2
        }
        try await Task.sleep(for: .seconds(2))  // each has counted the other (they look every second)
        await fixture.sandbox.setFaults(SandboxFaults(slowRate: 1, slowMilliseconds: 30))
        try await fixture.enqueue(count: 200, prefix: "c", on: connection)
        try await eventually(within: 180, "not all sent") { await fixture.sentCounts().count == 200 }
        let peak = await fixture.sandbox.statistics().peakConcurrentRequests["\(PipelineFixture.client)/\(PipelineFixture.sender)"]
        #expect(peak != nil && peak! <= 4, "\(peak ?? 0) requests at once for one sender")
        await fixture.stop()
    }
}

@Suite struct NotificationCrashTests {
    /// A notification worker process killed with SIGKILL in the middle of sending loses nothing and
    /// sends nothing twice: its unacked notifications come back redelivered, and the next worker checks
    /// the dedupe records and Sent Items before sending them.
    @Test func killingASendingWorkerLosesNothingAndSendsNothingTwice() async throws {
        let fixture = try await PipelineFixture(mailboxes: 2)
        try fixture.writeNotificationAccounts()
        let connection = try await fixture.notificationConnection()
        await fixture.sandbox.setFaults(SandboxFaults(slowRate: 1, slowMilliseconds: 40))
        for index in 0..<200 { try await fixture.enqueue(notification("k-\(index)"), on: connection) }
        let doomed = try MailpoolProcess.start(
            ["notification-worker", "--accounts", fixture.accountsPath, "--dedupe", fixture.directory.appendingPathComponent("dedupe").path,
             "--per-minute", "0", "--concurrency", "16", "--retry-ladder", "0.2,0.4,0.8"], amqpURL: fixture.vhostURL)
        try await eventually(within: 120, "the worker process sent nothing") { await fixture.sentCounts().count >= 30 }
        doomed.kill()
        #expect(await fixture.sentCounts().count < 200, "the worker finished before it was killed")
        await fixture.sandbox.setFaults(SandboxFaults())
        try await fixture.startNotificationWorker()
        try await eventually(within: 120, "notifications were lost") { await fixture.sentCounts().count == 200 }
        try await Task.sleep(for: .seconds(1))
        let counts = await fixture.sentCounts()
        #expect(counts.values.allSatisfy { $0 == 1 }, "sent twice: \(counts.filter { $0.value > 1 }.keys.sorted())")
        await fixture.stop()
    }
}
