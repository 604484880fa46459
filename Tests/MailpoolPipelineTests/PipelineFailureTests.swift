import Foundation
import GraphSandbox
import MailpoolAMQP
@testable import MailpoolPipeline
import MailpoolTestSupport
import Testing

@Suite struct PipelineFailureTests {
    /// A worker process killed with SIGKILL part-way through its batches loses nothing: its jobs and
    /// mailbox locks come back, another worker finishes, and every message arrives (maybe twice, always
    /// with the same dedupe key).
    @Test func killingAWorkerMidBatchLosesNothing() async throws {
        let fixture = try await PipelineFixture(mailboxes: 4)
        var keys: Set<String> = []
        for mailbox in fixture.mailboxes {
            for index in 0..<60 {
                let seeded = try await fixture.sandbox.seed(SeedMessage(subject: "m\(index)", to: [mailbox], body: "b"), to: mailbox)
                keys.insert("graph:\(mailbox):\(seeded.id)")
            }
        }
        await fixture.sandbox.setFaults(SandboxFaults(slowRate: 1, slowMilliseconds: 15))
        let events = try await fixture.collectEvents()
        try await fixture.startPoller()
        let doomed = try MailpoolProcess.start(
            ["fetch-worker", "--accounts", fixture.accountsPath, "--store", fixture.store.root, "--concurrency", "4"],
            amqpURL: fixture.vhostURL)
        try await eventually(within: 120, "the worker process delivered nothing") { events.count >= 20 }
        doomed.kill()
        let atKill = events.count
        #expect(atKill < keys.count, "the worker finished before it was killed")

        try await fixture.startWorker()
        try await eventually(within: 120, "messages were lost: \(Set(events.all.map(\.dedupeKey)).count) of \(keys.count)") {
            Set(events.all.map(\.dedupeKey)).count == keys.count
        }
        #expect(Set(events.all.map(\.dedupeKey)) == keys)
        for mailbox in fixture.mailboxes {
            try await eventually(within: 120, "\(mailbox) still has mail in its Inbox") {
                try await fixture.sandbox.count(mailbox, folder: "inbox").total == 0
            }
        }
        await fixture.stop()
    }

    @Test func accountActivatedInTheFileStartsBeingPolled() async throws {
        let fixture = try await PipelineFixture(mailboxes: 2)
        let (on, off) = (fixture.mailboxes[0], fixture.mailboxes[1])
        try fixture.writeAccounts(active: [on])
        for mailbox in fixture.mailboxes {
            for index in 0..<5 { try await fixture.sandbox.seed(SeedMessage(subject: "\(index)", to: [mailbox]), to: mailbox) }
        }
        let events = try await fixture.collectEvents()
        try await fixture.startPoller()
        try await fixture.startWorker()
        try await eventually(within: 120, "the active account was not polled") { events.count == 5 }
        try await Task.sleep(for: .seconds(2))
        #expect(events.all.allSatisfy { $0.mailbox == on }, "an inactive account was polled")

        try fixture.writeAccounts(active: [on, off])
        try await eventually(within: 120, "the newly active account was not polled") { events.count == 10 }
        #expect(events.all.filter { $0.mailbox == off }.count == 5)
        await fixture.stop()
    }

    @Test func expiredSecretIsReportedAndDoesNotBlockTheOthers() async throws {
        let fixture = try await PipelineFixture(mailboxes: 1)
        let expired = fixture.graphAccount(name: "Expired", mailbox: "expired@contoso.example", client: PipelineFixture.expiredClient,
                                           secret: PipelineFixture.expiredSecret, active: true)
        try fixture.writeAccounts(active: Set(fixture.mailboxes), extra: [expired])
        for mailbox in fixture.mailboxes + ["expired@contoso.example"] {
            for index in 0..<10 { try await fixture.sandbox.seed(SeedMessage(subject: "\(index)", to: [mailbox]), to: mailbox) }
        }
        let events = try await fixture.collectEvents()
        try await fixture.startPoller()
        try await fixture.startWorker()
        try await eventually(within: 120, "the healthy account was blocked") { events.count == 10 }
        try await eventually(within: 120, "the expired secret was never tried") {
            await fixture.sandbox.statistics().count("POST /:tenant/oauth2/v2.0/token 401") >= 1
        }
        // Counted over a fixed 6 s (not since the start, whose length depends on the machine's load):
        // polled every second, but after each failure the mailbox rests 3 s (the test's backoff): no hot
        // loop. (No lower bound: on a loaded machine one try may take longer than that.)
        let before = await fixture.sandbox.statistics().count("POST /:tenant/oauth2/v2.0/token 401")
        try await Task.sleep(for: .seconds(6))
        let refusals = await fixture.sandbox.statistics().count("POST /:tenant/oauth2/v2.0/token 401") - before
        #expect(refusals <= 3, "\(refusals) token requests with the expired secret in 6 s")
        #expect(try await fixture.sandbox.count("expired@contoso.example", folder: "inbox").total == 10)
        #expect(events.all.allSatisfy { $0.mailbox == fixture.mailboxes[0] })
        await fixture.stop()
    }

    /// The active poller dies (SIGKILL); the standby takes over and mail keeps flowing.
    @Test func standbyPollerTakesOverWhenTheLeaderDies() async throws {
        let fixture = try await PipelineFixture(mailboxes: 1)
        let mailbox = fixture.mailboxes[0]
        let leader = try MailpoolProcess.start(["poller", "--accounts", fixture.accountsPath], amqpURL: fixture.vhostURL)
        let events = try await fixture.collectEvents()
        try await fixture.startWorker()
        try await fixture.sandbox.seed(SeedMessage(subject: "before", to: [mailbox]), to: mailbox)
        try await eventually(within: 120, "the poller process polled nothing") { events.count == 1 }
        try await fixture.startPoller()  // the standby
        try await Task.sleep(for: .seconds(1))
        leader.kill()
        let killed = ContinuousClock.now
        try await fixture.sandbox.seed(SeedMessage(subject: "after", to: [mailbox]), to: mailbox)
        try await eventually(within: 120, "the standby did not take over") { events.count == 2 }
        #expect(ContinuousClock.now - killed < .seconds(45), "the standby took over, but slowly")
        await fixture.stop()
    }

    /// A leader that dies after writing a tick's state and before publishing that tick's jobs leaves
    /// mailboxes marked out with no job. The next leader gives such a chain the takeover grace (5 s
    /// here), not the lease (30 minutes): the mailbox is polled again and its mail ingested.
    @Test func aChainWrittenButNeverPublishedHoldsItsMailboxOnlyForTheTakeoverGrace() async throws {
        let fixture = try await PipelineFixture(mailboxes: 1)
        let mailbox = fixture.mailboxes[0]
        let connection = try await fixture.connect("test-state")
        try await connection.declare(PipelineTopology.inbound)
        var state = PollerState()
        state.outstanding[mailbox.lowercased()] = .init(chainID: "never-published", issuedAt: Date())
        try await connection.publish(OutgoingMessage(exchange: "", routingKey: PipelineNames.pollerStateQueue, body: state.encoded(),
                                                     properties: AMQPProperties(type: "PollerState")))
        let events = try await fixture.collectEvents()
        try await fixture.startWorker()
        try await fixture.sandbox.seed(SeedMessage(subject: "waiting", to: [mailbox]), to: mailbox)
        let started = ContinuousClock.now
        try await fixture.startPoller()
        try await eventually(within: 120, "the mailbox waited for the lease") { events.count == 1 }
        #expect(ContinuousClock.now - started >= .seconds(4), "polled before the grace was over: the state was not taken in")
        await fixture.stop()
    }
}
