import Foundation
import GraphSandbox
import MailpoolAMQP
import MailpoolPipeline
import MailpoolTestSupport
import Synchronization
import Testing

/// The poller's promises at 500 mailboxes, with no queue per mailbox: at most one job out per
/// mailbox, across a leader's death and the loss of its state queue too; backoffs honoured; a flooded
/// mailbox delays nobody. One test
/// at a time: 500 mailboxes polled every 2 s are a load of their own for CI's shared broker.
@Suite(.serialized) struct PollerTests {
    /// 500 mailboxes polled every 2 s by a worker that holds each job 3 s: no mailbox ever gets a
    /// second job while one is out, and every mailbox gets jobs.
    @Test func atMostOneJobOutPerMailboxWhileWorkersAreSlow() async throws {
        let fixture = try await PipelineFixture(mailboxes: 500)
        try fixture.writeAccounts(active: Set(fixture.mailboxes), interval: 2)
        let worker = try await SlowWorker.start(fixture, hold: 3)
        try await fixture.startPoller()
        try await eventually(within: 120, "\(worker.mailboxesServed) of 500 mailboxes had a job") { worker.mailboxesServed == 500 }
        try await eventually(within: 120, "mailboxes were not polled again after their jobs ended") { worker.maxJobs >= 3 }
        try await fixture.drain()
        #expect(worker.doubled.isEmpty, "a second job while one was out: \(worker.doubled.prefix(5))")
        await worker.stop()
        await fixture.stop()
    }

    /// The leading poller process is SIGKILLed while 500 mailboxes have jobs out; the standby process
    /// takes over from the state the leader wrote: no mailbox gets a second job while one is out, and
    /// polling goes on.
    @Test func aStandbyTakesOverFromAKilledLeaderWithoutDoublingJobs() async throws {
        let fixture = try await PipelineFixture(mailboxes: 500)
        try fixture.writeAccounts(active: Set(fixture.mailboxes), interval: 2)
        let worker = try await SlowWorker.start(fixture, hold: 6)  // most jobs are out when the leader dies
        let leader = try MailpoolProcess.start(["poller", "--accounts", fixture.accountsPath], amqpURL: fixture.vhostURL)
        try await eventually(within: 120, "the leader polled \(worker.mailboxesServed) mailboxes") { worker.mailboxesServed == 500 }
        let standby = try MailpoolProcess.start(["poller", "--accounts", fixture.accountsPath], amqpURL: fixture.vhostURL)
        try await Task.sleep(for: .seconds(2))
        let before = worker.totalJobs
        leader.kill()
        try await eventually(within: 120, "the standby did not take over") { worker.totalJobs >= before + 1000 }
        standby.kill()
        try await Task.sleep(for: .seconds(7))  // jobs held at the kill end
        #expect(worker.doubled.isEmpty, "a second job while one was out: \(worker.doubled.prefix(5))")
        await worker.stop()
        await fixture.stop()
    }

    /// The state queue lost under the leader (as when its node is down, the broker returns the state
    /// unrouted; here the queue is deleted): the leader goes on polling from the state it holds, never
    /// with a second job out for a mailbox, and writes the state again once the queue is back.
    @Test func theLeaderPollsOnWithoutItsStateQueueAndWritesTheStateOnceItIsBack() async throws {
        let fixture = try await PipelineFixture(mailboxes: 50)
        try fixture.writeAccounts(active: Set(fixture.mailboxes), interval: 1)
        let worker = try await SlowWorker.start(fixture, hold: 0.5)
        try await fixture.startPoller()
        try await eventually(within: 120, "the leader polled \(worker.mailboxesServed) of 50 mailboxes") { worker.mailboxesServed == 50 }
        try await PipelineFixture.rabbitmqctl("delete_queue", "-p", fixture.vhost, PipelineNames.pollerStateQueue)
        let before = worker.totalJobs
        try await eventually(within: 120, "polling stopped with the state queue gone") { worker.totalJobs >= before + 150 }
        let connection = try await fixture.connect("test-state-queue")
        try await connection.declare(PipelineTopology.inbound)  // the queue is back, empty
        try await eventually(within: 60, "the state was not written again") {
            try await connection.queueInfo(PipelineNames.pollerStateQueue).messageCount == 1
        }
        #expect(worker.doubled.isEmpty, "a second job while one was out: \(worker.doubled.prefix(5))")
        await worker.stop()
        await fixture.stop()
    }

    /// 500 mailboxes polled every 2 s; a worker reports that box0 must rest 6 s: box0 gets no job for
    /// 6 s after that report, while the others are polled meanwhile.
    @Test func aMailboxInBackoffIsSkippedUntilItsTime() async throws {
        let fixture = try await PipelineFixture(mailboxes: 500)
        try fixture.writeAccounts(active: Set(fixture.mailboxes), interval: 2)
        let resting = fixture.mailboxes[0]
        let worker = try await SlowWorker.start(fixture, hold: 0, rest: [resting: 6])
        try await fixture.startPoller()
        try await eventually(within: 120, "box0 was not polled twice") { worker.jobTimes(resting).count >= 2 }
        let times = worker.jobTimes(resting)
        #expect(times[1] - times[0] >= 6, "box0 polled \(times[1] - times[0]) s after it was told to rest 6 s")
        #expect(worker.jobTimes(fixture.mailboxes[1]).count >= 3, "the others were not polled meanwhile")
        await worker.stop()
        await fixture.stop()
    }

    /// One mailbox with 2,000 messages and 50 with one each, polled every 5 s by one worker: the 50 are
    /// all ingested while the flooded one still holds most of its mail, so none waited behind it. (The
    /// wait in seconds, about one interval, is measured by `mailpool-bench fairness`; a test asserts
    /// the order, which holds however loaded the machine is.)
    @Test func aFloodedMailboxDelaysNoOther() async throws {
        let fixture = try await PipelineFixture(mailboxes: 51)
        try fixture.writeAccounts(active: Set(fixture.mailboxes), interval: 5)
        let flooded = fixture.mailboxes[0]
        for index in 0..<2000 {
            try await fixture.sandbox.seed(SeedMessage(subject: "flood \(index)", to: [flooded]), to: flooded)
        }
        for mailbox in fixture.mailboxes.dropFirst() {
            try await fixture.sandbox.seed(SeedMessage(subject: "quiet", to: [mailbox]), to: mailbox)
        }
        let events = try await fixture.collectEvents()
        try await fixture.startWorker(concurrency: 8)
        try await fixture.startPoller()
        try await eventually(within: 300, "the quiet mailboxes were not all ingested") {
            Set(events.all.filter { $0.subject == "quiet" }.map(\.mailbox)).count == 50
        }
        let floodLeft = try await fixture.sandbox.count(flooded, folder: "inbox").total
        #expect(floodLeft >= 1000, "the quiet mailboxes waited until the flood was down to \(floodLeft) messages")
        await fixture.stop()
    }
}

/// A fetch worker stand-in that only holds jobs: it takes every job, holds it `hold` seconds, then
/// reports its chain ended (with a rest for mailboxes in `rest`) and acks. It notes a mailbox that
/// gets a job while it holds one for it.
final class SlowWorker: Sendable {
    private struct Log {
        var held: Set<String> = []
        var times: [String: [Double]] = [:]
        var doubled: [String] = []
    }
    private let log = Mutex(Log())
    private let task: Mutex<Task<Void, any Error>?> = Mutex(nil)
    private let start = ContinuousClock.now

    static func start(_ fixture: PipelineFixture, hold: Double, rest: [String: Double] = [:]) async throws -> SlowWorker {
        let worker = SlowWorker()
        let connection = try await fixture.connect("test-slow-worker")
        try await connection.declare(PipelineTopology.inbound)
        let consumer = try await connection.consume(queue: PipelineNames.fetchQueue, prefetch: 2000)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        worker.task.withLock { $0 = Task {
            try await withThrowingDiscardingTaskGroup { group in
                for try await delivery in consumer {
                    group.addTask {
                        let job = try decoder.decode(FetchJob.self, from: Data(delivery.body))
                        let mailbox = job.mailbox.lowercased()
                        worker.received(mailbox)
                        try await Task.sleep(for: .milliseconds(Int(hold * 1000)))
                        worker.released(mailbox)
                        let report = FetchReport(mailbox: mailbox, chainID: job.chainID, restSeconds: rest[mailbox] ?? 0)
                        try await connection.publish(OutgoingMessage(exchange: "", routingKey: PipelineNames.fetchReportsQueue,
                                                                     body: Array(try JSONEncoder().encode(report))))
                        delivery.ack()
                    }
                }
            }
        } }
        return worker
    }

    private func received(_ mailbox: String) {
        let now = (ContinuousClock.now - start) / .seconds(1)
        log.withLock { log in
            if !log.held.insert(mailbox).inserted { log.doubled.append(mailbox) }
            log.times[mailbox, default: []].append(now)
        }
    }

    private func released(_ mailbox: String) {
        _ = log.withLock { $0.held.remove(mailbox) }
    }

    var mailboxesServed: Int { log.withLock { $0.times.count } }
    var totalJobs: Int { log.withLock { $0.times.values.map(\.count).reduce(0, +) } }
    var maxJobs: Int { log.withLock { $0.times.values.map(\.count).max() ?? 0 } }
    var doubled: [String] { log.withLock { $0.doubled } }
    func jobTimes(_ mailbox: String) -> [Double] { log.withLock { $0.times[mailbox.lowercased()] ?? [] } }

    func stop() async {
        let task = self.task.withLock { $0 }
        task?.cancel()
        _ = await task?.result
    }
}
