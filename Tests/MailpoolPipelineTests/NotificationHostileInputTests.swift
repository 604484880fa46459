import Foundation
import GraphSandbox
import MailpoolAMQP
import MailpoolNotifications
import MailpoolTestSupport
import Testing

/// Input that would hurt a worker: a body far over the limit, and a notification that kills every
/// worker that takes it. Both run `mailpool notification-worker` as a process of its own.
@Suite(.serialized) struct NotificationHostileInputTests {
    func worker(_ fixture: PipelineFixture, _ extra: [String] = []) throws -> MailpoolProcess {
        try MailpoolProcess.start(
            ["notification-worker", "--accounts", fixture.accountsPath, "--dedupe", fixture.directory.appendingPathComponent("dedupe").path,
             "--per-minute", "0", "--request-quota", "0", "--retry-ladder", "0.2,0.4"] + extra, amqpURL: fixture.vhostURL)
    }

    /// 30 MB against the 25 MB limit: refused from its content header, never assembled, dead-lettered
    /// as oversized, while the worker stays under 64 MB and goes on sending.
    @Test func aThirtyMegabyteNotificationIsDeadLetteredUnread() async throws {
        let fixture = try await PipelineFixture(mailboxes: 2)
        try fixture.writeNotificationAccounts()
        let connection = try await fixture.notificationConnection()
        var huge = notification("huge")
        huge.text = String(repeating: "x", count: 30 << 20)
        try await fixture.enqueue(huge, on: connection)
        try await fixture.enqueue(notification("after-huge"), on: connection)
        let process = try worker(fixture)
        let dead = DeadLetters(connection: connection)
        try await eventually(within: 120, "the good notification was not sent") { await fixture.sentCounts()["after-huge"] == 1 }
        try await eventually(within: 180, "not dead-lettered") { try await dead.list().count == 1 }
        let peak = try #require(process.peakResidentBytes)
        process.kill()
        let entry = try #require(try await dead.list().first)
        #expect(entry.id == "huge" && entry.reason.hasPrefix("oversized"), "\(entry.reason)")
        #expect(entry.body.count > 30 << 20, "the dead letter keeps the body for a replay")
        #expect(peak < 64 << 20, "worker peak RSS \(peak >> 20) MB")
        #expect(await fixture.sentCounts()["huge"] == nil)
        await fixture.stop()
    }

    /// A notification whose sending never ends (the sandbox holds it a minute) while its worker is killed,
    /// again and again: after the work queue's delivery limit (2 here) the broker dead-letters it.
    @Test func aNotificationThatKeepsKillingWorkersEndsInTheDeadLetterQueue() async throws {
        let fixture = try await PipelineFixture(mailboxes: 2)
        try fixture.writeNotificationAccounts()
        let connection = try await fixture.notificationConnection(deliveryLimit: 2)
        await fixture.sandbox.setFaults(SandboxFaults(slowRate: 1, slowMilliseconds: 60_000))
        try await fixture.enqueue(notification("deadly"), on: connection)
        let dead = DeadLetters(connection: connection)
        var kills = 0
        while try await dead.list().isEmpty {
            try #require(kills < 6, "still not dead-lettered after \(kills) workers were killed")
            let process = try worker(fixture, ["--delivery-limit", "2"])
            try await eventually(within: 180, "no worker took it") {
                let ready = try await connection.queueInfo(NotificationNames.queue).messageCount
                let deadCount = try await dead.list().count
                return ready == 0 || deadCount > 0
            }
            process.kill()
            kills += 1
            try await eventually(within: 120, "not returned after the kill") {
                let ready = try await connection.queueInfo(NotificationNames.queue).messageCount
                let deadCount = try await dead.list().count
                return ready == 1 || deadCount > 0
            }
        }
        let entry = try #require(try await dead.list().first)
        #expect(entry.id == "deadly" && entry.reason.hasPrefix("delivery-limit"), "\(entry.reason)")
        #expect(kills >= 2 && kills <= 4)
        #expect(await fixture.sentCounts().isEmpty)
        await fixture.stop()
    }
}
