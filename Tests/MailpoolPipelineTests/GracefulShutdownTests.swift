import Foundation
import GraphSandbox
import MailpoolNotifications
import MailpoolPipeline
import MailpoolTestSupport
import Testing

/// SIGTERM lets the work in progress finish: what was completed is not done again, and the process
/// exits within its grace period.
@Suite struct GracefulShutdownTests {
    /// A notification worker process is sent SIGTERM part-way through 300 notifications (every Graph
    /// answer 20 ms late): it exits within its grace period, and with a second worker finishing the
    /// rest every notification is sent exactly once and nothing is dead-lettered.
    @Test func aNotificationWorkerStopsGracefullyMidRun() async throws {
        let fixture = try await PipelineFixture(mailboxes: 2)
        try fixture.writeNotificationAccounts()
        let connection = try await fixture.notificationConnection()
        await fixture.sandbox.setFaults(SandboxFaults(slowRate: 1, slowMilliseconds: 20))
        try await fixture.enqueue(count: 300, prefix: "g", on: connection)
        let worker = try MailpoolProcess.start(
            ["notification-worker", "--accounts", fixture.accountsPath, "--dedupe", fixture.directory.appendingPathComponent("dedupe").path,
             "--per-minute", "0", "--retry-ladder", "0.2,0.4,0.8", "--shutdown-grace", "30"], amqpURL: fixture.vhostURL)
        try await eventually(within: 120, "the worker sent nothing") { await fixture.sentCounts().count >= 30 }
        let signalled = ContinuousClock.now
        await worker.stop()
        #expect(ContinuousClock.now - signalled < .seconds(30), "the worker did not stop within its grace period")
        #expect(worker.process.terminationReason == .exit, "the worker did not exit by itself")
        #expect(await fixture.sentCounts().count < 300, "the worker finished before it was stopped")

        // A roomy send window: on CI's loaded cores a draft's send may wait seconds for its sender's slots.
        try await fixture.startNotificationWorker(sendWindow: 30)
        try await eventually(within: 300, "not all sent") { await fixture.sentCounts().count == 300 }
        try await fixture.drain()
        let counts = await fixture.sentCounts()
        #expect(counts.values.allSatisfy { $0 == 1 }, "sent twice: \(counts.filter { $0.value > 1 }.keys.sorted().prefix(5))")
        #expect(try await connection.queueInfo(NotificationNames.deadQueue).messageCount == 0)
        await fixture.stop()
    }

    /// A fetch worker process is sent SIGTERM during a 50-message batch (every Graph answer 40 ms
    /// late): the batch finishes, every message arrives once and leaves the Inbox, and the process exits
    /// within its grace period.
    @Test func aFetchWorkerFinishesItsBatchOnSIGTERM() async throws {
        let fixture = try await PipelineFixture(mailboxes: 1)
        let mailbox = fixture.mailboxes[0]
        try fixture.writeAccounts(active: [mailbox], interval: 1, batchSize: 50)
        try await fixture.seed(50, to: mailbox)
        await fixture.sandbox.setFaults(SandboxFaults(slowRate: 1, slowMilliseconds: 40))
        let events = try await fixture.collectEvents()
        try await fixture.startPoller()
        let worker = try MailpoolProcess.start(
            ["fetch-worker", "--accounts", fixture.accountsPath, "--store", fixture.store.root, "--shutdown-grace", "60"],
            amqpURL: fixture.vhostURL)
        try await eventually(within: 120, "the worker delivered nothing") { events.count >= 3 }
        let signalled = ContinuousClock.now
        await worker.stop()
        #expect(ContinuousClock.now - signalled < .seconds(60), "the worker did not stop within its grace period")
        #expect(worker.process.terminationReason == .exit)
        try await fixture.drain(events)
        #expect(events.count == 50, "the batch in progress did not finish: \(events.count) of 50")
        #expect(Set(events.all.map(\.dedupeKey)).count == events.count, "duplicates downstream")
        #expect(try await fixture.sandbox.count(mailbox, folder: "inbox").total == 0)
        await fixture.stop()
    }
}
