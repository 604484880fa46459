import Foundation
import GraphSandbox
import Logging
import MailpoolAMQP
import MailpoolPipeline
import MailpoolTestSupport
import Synchronization
import Testing

/// One bad message, a deactivated account, a full store or a second job never holds up or corrupts the rest.
@Suite struct InboundRobustnessTests {
    /// 100 messages, the 51st of which Graph cannot serve (`$value` always 500): it is set aside after
    /// 3 attempts while the 99 others arrive exactly once.
    @Test func aPoisonMessageIsQuarantinedWhileTheOthersArriveOnce() async throws {
        let fixture = try await PipelineFixture(mailboxes: 1)
        let mailbox = fixture.mailboxes[0]
        var good: Set<String> = []
        var poison = ""
        for index in 0..<100 {
            let seeded = try await fixture.sandbox.seed(SeedMessage(
                subject: "COA \(index)", from: EmailAddress("lab@vendor.example"), to: [mailbox],
                receivedDateTime: Date(timeIntervalSinceNow: Double(index - 1000)), mimeFailureStatus: index == 50 ? 500 : nil), to: mailbox)
            if index == 50 { poison = seeded.id } else { good.insert("graph:\(mailbox):\(seeded.id)") }
        }
        let events = try await fixture.collectEvents()
        try await fixture.startPoller()
        try await fixture.startWorker()
        try await eventually(within: 180, "\(events.count) events, \(events.allQuarantined.count) quarantined") {
            events.count >= 99 && !events.allQuarantined.isEmpty
        }
        try await fixture.drain(events)

        #expect(events.all.count == 99, "duplicates downstream")
        #expect(Set(events.all.map(\.dedupeKey)) == good)
        #expect(events.allQuarantined.count == 1)
        let quarantined = try #require(events.allQuarantined.first)
        #expect(quarantined.graphID == poison && quarantined.attempts == 3 && quarantined.account == mailbox)
        #expect(quarantined.location == "mail folder mailpool-quarantine" && quarantined.reason.contains("500"))
        #expect(try await validate(events.allQuarantined, against: "inbound-quarantined", in: fixture.directory) == "1 valid")
        #expect(try await fixture.sandbox.count(mailbox, folder: "inbox").total == 0)
        #expect(try await fixture.sandbox.count(mailbox, folder: "deleteditems") == (total: 99, unread: 0))
        #expect(try await fixture.sandbox.count(mailbox, folderNamed: "mailpool-quarantine") == (total: 1, unread: 1))
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.store.root + "/.incoming").isEmpty, "a .part file was left")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.store.root + "/.attempts").isEmpty)
        await fixture.stop()
    }

    /// A 500-message backlog; the inbound side is made inactive part way: at most one batch more is settled.
    @Test func deactivationStopsSettlingWithinTheBatch() async throws {
        let fixture = try await PipelineFixture(mailboxes: 1)
        let mailbox = fixture.mailboxes[0]
        try await fixture.seed(500, to: mailbox, subject: "CAR")
        let events = try await fixture.collectEvents()
        try await fixture.startPoller()
        try await fixture.startWorker()
        try await eventually(within: 120, "the backlog did not start moving") { events.count >= 100 }
        let settledBefore = try await fixture.sandbox.count(mailbox, folder: "deleteditems").total
        try fixture.writeAccounts(active: [])
        try await fixture.drain(events)

        let settledAfter = try await fixture.sandbox.count(mailbox, folder: "deleteditems").total
        #expect(settledAfter - settledBefore <= 25, "\(settledAfter - settledBefore) messages settled after deactivation")
        #expect(try await fixture.sandbox.count(mailbox, folder: "inbox").total == 500 - settledAfter)
        #expect(Set(events.all.map(\.dedupeKey)).count == events.count, "duplicates downstream")
        await fixture.stop()
    }

    /// Two jobs for one mailbox handed to one worker process at once: they run one after the other, so
    /// each message is read and settled once.
    @Test func twoJobsForOneMailboxInOneProcessNeverOverlap() async throws {
        let fixture = try await PipelineFixture(mailboxes: 1)
        let mailbox = fixture.mailboxes[0]
        try await fixture.seed(200, to: mailbox)
        let events = try await fixture.collectEvents()
        try await fixture.publishFetchJobs(for: mailbox, count: 2)
        let log = CapturedLog()
        try await fixture.startWorker(logger: log.logger())
        try await eventually(within: 120, "\(events.count) of 200 events") { events.count >= 200 }
        try await fixture.drain(events)

        #expect(events.all.count == 200, "a message was read by both jobs")
        #expect(Set(events.all.map(\.dedupeKey)).count == 200)
        #expect(log.lines(at: .warning).isEmpty, "\(log.lines(at: .warning))")
        #expect(try await fixture.sandbox.count(mailbox, folder: "deleteditems") == (total: 200, unread: 0))
        await fixture.stop()
    }

    /// Two jobs for one mailbox given at once to two workers, each on a connection of its own as two
    /// processes are, with every Graph answer 20 ms late: the mailbox lock lets one job read at a time,
    /// so each of the 200 messages arrives once and all leave the Inbox.
    @Test func twoJobsForOneMailboxInTwoWorkersNeverOverlap() async throws {
        let fixture = try await PipelineFixture(mailboxes: 1)
        let mailbox = fixture.mailboxes[0]
        try await fixture.seed(200, to: mailbox)
        await fixture.sandbox.setFaults(SandboxFaults(slowRate: 1, slowMilliseconds: 20))
        let events = try await fixture.collectEvents()
        try await fixture.startWorker(concurrency: 1)
        try await fixture.startWorker(concurrency: 1)
        try await fixture.publishFetchJobs(for: mailbox, count: 2)
        try await eventually(within: 120, "\(events.count) of 200 events") { events.count >= 200 }
        try await fixture.drain(events)

        #expect(events.all.count == 200, "a message was read by both jobs")
        #expect(Set(events.all.map(\.dedupeKey)).count == 200)
        #expect(try await fixture.sandbox.count(mailbox, folder: "deleteditems") == (total: 200, unread: 0))
        await fixture.stop()
    }

    /// A job for a mailbox whose lock another connection holds reads nothing and ends its chain with
    /// the transient rest (1 s in these tests), so that a leader that does not know the chain holding
    /// the lock does not poll the mailbox again at every interval.
    @Test func aJobFindingTheMailboxLockHeldEndsItsChainWithARest() async throws {
        let fixture = try await PipelineFixture(mailboxes: 1)
        let mailbox = fixture.mailboxes[0]
        try await fixture.seed(5, to: mailbox)
        let holder = try await fixture.connect("test-lock-holder")
        #expect(try await holder.tryLock(PipelineNames.mailboxLock(mailbox)) != nil)
        try await fixture.startWorker()
        try await fixture.publishFetchJobs(for: mailbox, count: 1)
        try await eventually(within: 120, "the job was not handled") {
            let reported = try await holder.queueInfo(PipelineNames.fetchReportsQueue).messageCount
            let waiting = try await holder.queueInfo(PipelineNames.fetchQueue).messageCount
            return reported == 1 && waiting == 0
        }
        try await fixture.drain()

        let reports = try await fixture.reports()
        #expect(reports.count == 1 && reports[0].restSeconds == 1 && reports[0].error == nil, "\(reports)")
        #expect(try await fixture.sandbox.count(mailbox, folder: "inbox").total == 5, "the job read the mailbox")
        await fixture.stop()
    }

    /// The path from a fetch worker to its broker node goes silent mid-batch (a relay frozen, as when
    /// the node is frozen or cut off), so the event publish in flight fails with the connection. The
    /// job goes back to the broker, whose redelivery carries the chain on: the worker that lost it
    /// reports nothing to the poller, which would otherwise start a second chain for the mailbox.
    /// (Before, it reported the chain ended with a rest, and in the chaos suite's node-freeze the
    /// poller then sent a job each interval that found the mailbox lock held, for a minute.)
    @Test func aJobLostWithItsConnectionDoesNotReportItsChainEnded() async throws {
        let fixture = try await PipelineFixture(mailboxes: 1)
        let mailbox = fixture.mailboxes[0]
        try await fixture.seed(200, to: mailbox)
        await fixture.sandbox.setFaults(SandboxFaults(slowRate: 1, slowMilliseconds: 20))
        let events = try await fixture.collectEvents()
        let relay = try await fixture.relay()
        let log = CapturedLog()
        try await fixture.startWorker(concurrency: 1, through: relay, logger: log.logger())
        try await fixture.publishFetchJobs(for: mailbox, count: 1)
        try await eventually(within: 120, "the backlog did not start moving") { events.count >= 30 }
        await relay.freeze()
        try await eventually(within: 120, "the worker did not give the job up") {
            log.lines(at: .warning).contains { $0.contains("handed back") || $0.contains("fetch failed") }
        }
        await relay.stop()
        try await fixture.drain(events)

        let reports = try await fixture.reports()
        #expect(reports.allSatisfy { $0.error == nil }, "a chain reported ended by the job the connection took: \(reports)")
        #expect(!log.lines(at: .warning).contains { $0.contains("fetch failed") }, "\(log.lines(at: .warning))")
        await fixture.stop()
    }

    /// The store on a small file system that is full: one store error, no mailbox blamed, nothing
    /// fetched; once space is freed, every message arrives without anyone restarting anything.
    @Test(.enabled(if: getuid() == 0, "mounts a small tmpfs, which needs root"))
    func aFullStoreIsAStoreErrorAndFetchingResumesWhenSpaceReturns() async throws {
        let mount = FileManager.default.temporaryDirectory.appendingPathComponent("mailpool-full-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        try run("/bin/mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount)
        defer { try? run("/bin/umount", "-l", mount) }
        let fixture = try await PipelineFixture(mailboxes: 2, storeRoot: mount + "/store")
        for mailbox in fixture.mailboxes {
            for index in 0..<10 {
                try await fixture.sandbox.seed(SeedMessage(subject: "COA \(index)", to: [mailbox], attachments: [
                    .init(name: "coa.pdf", contentType: "application/pdf", generatedSize: 100_000)]), to: mailbox)
            }
        }
        // Leave less than the store's 1 MB minimum free.
        let filler = mount + "/filler"
        FileManager.default.createFile(atPath: filler, contents: Data(count: 3 * 1024 * 1024 + 512 * 1024))
        let events = try await fixture.collectEvents()
        let log = CapturedLog()
        try await fixture.startPoller()
        try await fixture.startWorker(logger: log.logger())
        try await eventually(within: 120, "no store error logged") {
            log.lines(at: .error).contains { $0.contains("the inbound store cannot take mail") && $0.contains("is full") }
        }
        #expect(events.count == 0)
        #expect(!log.lines(at: .warning).contains { $0.contains("needs attention") || $0.contains("fetch failed") })

        try FileManager.default.removeItem(atPath: filler)
        try await eventually(within: 120, "\(events.count) of 20 events after space returned") { events.count >= 20 }
        try await fixture.drain(events)
        #expect(Set(events.all.map(\.dedupeKey)).count == 20 && events.count == 20)
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.store.root + "/.incoming").isEmpty, "a .part file was left")
        await fixture.stop()
    }

    /// The default events queue off (the default): with no queue bound, an event fails its job loudly
    /// and the mail stays on the server; once the user binds their own queue, every event lands there
    /// once, and no other queue holds a copy.
    @Test func withoutTheDefaultQueueEventsGoOnlyWhereTheUserBindsThem() async throws {
        let fixture = try await PipelineFixture(mailboxes: 1)
        let mailbox = fixture.mailboxes[0]
        try await fixture.seed(20, to: mailbox)
        let log = CapturedLog()
        try await fixture.startPoller()
        try await fixture.startWorker(logger: log.logger())
        try await eventually(within: 120, "no error about the missing queue") {
            log.lines(at: .error).contains { $0.contains("no queue takes this account's inbound events") }
        }
        #expect(try await fixture.sandbox.count(mailbox, folder: "inbox").total == 20)

        let connection = try await fixture.connect("test-own-queue")
        try await connection.declare(Topology(queues: [.quorum("coa.intake")],
                                              bindings: [BindingSpec(queue: "coa.intake", exchange: PipelineNames.inboundExchange, routingKey: "inbound.#")]))
        try await eventually(within: 120, "the events did not reach the user's queue") {
            try await connection.queueInfo("coa.intake").messageCount >= 20
        }
        try await fixture.drain()
        #expect(try await connection.queueInfo("coa.intake").messageCount == 20)
        let queues = try await PipelineFixture.rabbitmqctl("list_queues", "-p", fixture.vhost, "--quiet", "--no-table-headers", "name")
        #expect(!queues.contains(PipelineNames.inboundQueue), "the default events queue exists: \(queues)")
        #expect(try await fixture.sandbox.count(mailbox, folder: "inbox").total == 0)
        await fixture.stop()
    }

    private func run(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(arguments.joined(separator: " ")) failed")
    }
}

/// Log lines a component wrote, by level, for tests that check what was reported and what was not.
final class CapturedLog: Sendable {
    private let entries = Mutex<[(level: Logger.Level, text: String)]>([])

    func logger(label: String = "test") -> Logger {
        var logger = Logger(label: label) { _ in Handler(log: self) }
        logger.logLevel = .debug
        return logger
    }

    /// Lines at `level` or above, with their metadata.
    func lines(at level: Logger.Level) -> [String] {
        entries.withLock { $0.filter { $0.level >= level }.map(\.text) }
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
                 function: String, line: UInt) {
            let all = self.metadata.merging(metadata ?? [:]) { $1 }
            let text = "\(message) " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            log.entries.withLock { $0.append((level, text)) }
        }
    }
}
