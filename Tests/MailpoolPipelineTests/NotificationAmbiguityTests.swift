import Foundation
import GraphSandbox
import MailpoolAMQP
import MailpoolNotifications
import MailpoolTestSupport
import Testing

/// Notifications (300 in the test command, 2,000 in `deploy/local/chaos.sh`) through Graph faults whose outcome is unknown to the sender — answers lost after
/// the work, 504s after the work, 202s with `Retry-After`, Sent Items filed late — and through
/// refusals (503, 429): every notification is delivered and none twice. Each test ends with a drained
/// pool (every queue empty, the dead-letter queue too), so that absence is proven, not waited for.
@Suite(.serialized) struct NotificationAmbiguityTests {
    /// How many notifications each chaos test sends: `MAILPOOL_CHAOS_NOTIFICATIONS`, 300 by default
    /// (the full 2,000 would load CI's 2 cores for minutes, slowing every other suite).
    static let count = ProcessInfo.processInfo.environment["MAILPOOL_CHAOS_NOTIFICATIONS"].flatMap { Int($0) } ?? 300

    /// Enough steps that a notification exhausts them with a chance under one in a thousand runs.
    static let ladder = RetryLadder(delays: [0.2, 0.4, 0.8, 1.6, 3.2, 3.2, 3.2, 3.2])

    static let faultClasses: [(name: String, faults: SandboxFaults)] = [
        ("5 % answers lost after the work", SandboxFaults(lostResponseRate: 0.05)),
        ("3 % 504 after the work", SandboxFaults(gatewayTimeoutRate: 0.03)),
        ("3 % 503", SandboxFaults(serviceUnavailableRate: 0.03)),
        ("2 % 429", SandboxFaults(throttleRate: 0.02, throttleRetryAfterSeconds: 1)),
        ("5 % 202 with Retry-After", SandboxFaults(retryAfterOnSuccessRate: 0.05)),
        ("Sent Items filed 5 s late, 3 % answers lost", SandboxFaults(lostResponseRate: 0.03, sentItemsDelaySeconds: 5)),
    ]

    @Test(arguments: 0..<faultClasses.count)
    func eachFaultClassAloneDeliversEveryNotificationOnce(_ index: Int) async throws {
        let (name, faults) = Self.faultClasses[index]
        let fixture = try await PipelineFixture(mailboxes: 2)
        try fixture.writeNotificationAccounts()
        await fixture.sandbox.setFaults(faults)
        let connection = try await fixture.notificationConnection()
        try await fixture.startNotificationWorker(ladder: Self.ladder, filingAllowance: faults.sentItemsDelaySeconds + 1)
        try await fixture.enqueue(count: Self.count, prefix: "a", on: connection)
        try await Self.expectEveryNotificationOnce(fixture, count: Self.count, name)
        await fixture.stop()
    }

    /// All of it at once, with the broker closing every connection of the pool mid-run and a worker
    /// process killed with SIGKILL while it sends.
    @Test func allFaultsWithConnectionsClosedAndAWorkerKilled() async throws {
        let fixture = try await PipelineFixture(mailboxes: 2)
        try fixture.writeNotificationAccounts()
        await fixture.sandbox.setFaults(SandboxFaults(serviceUnavailableRate: 0.03, throttleRate: 0.02, throttleRetryAfterSeconds: 1,
                                                      lostResponseRate: 0.03, gatewayTimeoutRate: 0.03, sentItemsDelaySeconds: 5))
        let connection = try await fixture.notificationConnection()
        try await fixture.enqueue(count: Self.count, prefix: "c", on: connection)
        let doomed = try MailpoolProcess.start(
            ["notification-worker", "--accounts", fixture.accountsPath, "--dedupe", fixture.directory.appendingPathComponent("dedupe").path,
             "--per-minute", "0", "--request-quota", "0", "--concurrency", "16",
             "--retry-ladder", Self.ladder.delays.map { "\($0)" }.joined(separator: ","),
             "--send-window", "2", "--request-timeout", "5", "--filing-allowance", "6"], amqpURL: fixture.vhostURL)
        try await fixture.startNotificationWorker(ladder: Self.ladder, filingAllowance: 6)
        try await eventually(within: 120, "the worker process sent nothing") { await fixture.sentCounts().count >= Self.count * 15 / 100 }
        try await PipelineFixture.rabbitmqctl("close_all_connections", "--vhost", fixture.vhost, "chaos test")
        try await eventually(within: 120, "nothing sent after the connections were closed") {
            await fixture.sentCounts().count >= Self.count * 35 / 100
        }
        doomed.kill()
        try await fixture.startNotificationWorker(ladder: Self.ladder, filingAllowance: 6)
        try await Self.expectEveryNotificationOnce(fixture, count: Self.count, "all faults")
        await fixture.stop()
    }

    /// Waits until every queue of the pool is empty (every notification acked; none dead-lettered),
    /// then checks what the sandbox delivered.
    static func expectEveryNotificationOnce(_ fixture: PipelineFixture, count: Int, _ name: String,
                                            sourceLocation: SourceLocation = #_sourceLocation) async throws {
        var depths: [String: Int] = [:]
        try await eventually(within: 600, "\(name): the pool did not drain: \(depths)") {
            depths = (try? await fixture.queueDepths()) ?? [:]
            return await fixture.sentCounts().count == count && depths.values.reduce(0, +) == 0
        }
        let counts = await fixture.sentCounts()
        #expect(counts.count == count, "\(name): \(count - counts.count) not delivered", sourceLocation: sourceLocation)
        let twice = counts.filter { $0.value > 1 }
        let copies = await fixture.sandbox.sent(from: PipelineFixture.sender)
            .filter { twice[$0.internetMessageHeaders["x-mailpool-notification-id"] ?? ""] != nil }
            .map { "\($0.internetMessageHeaders["x-mailpool-notification-id"] ?? "") draft \($0.id.suffix(6)) at \($0.acceptedAt)" }
        #expect(twice.isEmpty, "\(name): \(twice.count) delivered twice: \(copies.prefix(10))", sourceLocation: sourceLocation)
    }
}

/// Two copies of each notification, both marked as retries, handed at once to two workers (two
/// connections, as two processes): each copy finds no earlier attempt, creates its draft, and only the
/// copy whose draft comes first sends.
@Suite struct NotificationConcurrentResumeTests {
    @Test func twoCopiesResumedAtOnceInTwoWorkersSendOnce() async throws {
        let fixture = try await PipelineFixture(mailboxes: 2)
        try fixture.writeNotificationAccounts()
        let connection = try await fixture.notificationConnection()
        for index in 0..<200 {
            for _ in 0..<2 {
                try await fixture.enqueue(notification("twin-\(index)"), headers: [NotificationNames.Header.attempts: 1], on: connection)
            }
        }
        try await fixture.startNotificationWorker(ladder: NotificationAmbiguityTests.ladder)
        try await fixture.startNotificationWorker(ladder: NotificationAmbiguityTests.ladder)
        try await NotificationAmbiguityTests.expectEveryNotificationOnce(fixture, count: 200, "twin copies")
        await fixture.stop()
    }
}
