import ArgumentParser
import Foundation
import Logging
import MailpoolAMQP
import MailpoolPipeline
import Synchronization

/// `mailpool-bench poller`: one `mailpool poller` process (release build) scheduling `--mailboxes`
/// Active mailboxes at `--interval` seconds, on a RabbitMQ virtual host of its own. The benchmark is
/// the pool's fastest fetch worker: it takes each job at once, reports the chain ended and acks. It
/// prints the first cycle's time, the jobs each mailbox got per interval over `--intervals` intervals
/// (min, median, max), the poller's CPU per cycle, and the broker's queue count and memory growth.
struct PollerBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "poller", abstract: "Poller cycle time, fairness of scheduling and broker footprint.")

    @Option(help: "Active inbound mailboxes.") var mailboxes = 10_000
    @Option(help: "Poll interval of every mailbox, in seconds.") var interval = 60
    @Option(help: "Intervals measured after the first.") var intervals = 5
    @Option(help: "RabbitMQ node for rabbitmqctl.") var node = "rabbit@localhost"

    func run() async throws {
        let tenant = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9", client = "9e8d7c6b-5a49-4382-9170-f6e5d4c3b2a1"
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("mailpool-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let accounts = work.appendingPathComponent("accounts.json").path
        let entries = (0..<mailboxes).map { index in
            #"{"name": "box\#(index)", "inbound": {"protocol": "GRAPH", "mailbox": "box\#(index)@contoso.example", "active": true, "tenantId": "\#(tenant)", "clientId": "\#(client)", "clientSecret": {"env": "BENCH_SECRET"}, "authority": "http://127.0.0.1:1", "graphBaseURL": "http://127.0.0.1:1", "pollIntervalSeconds": \#(interval)}}"#
        }
        try #"{"accounts": [\#(entries.joined(separator: ",\n"))]}"#.write(toFile: accounts, atomically: true, encoding: .utf8)
        let (queuesBefore, memoryBefore) = (try brokerQueueCount(node: node), try brokerMemory(node: node))
        let vhost = try BenchVirtualHost(node: node)
        defer { vhost.delete() }
        let url = vhost.url
        let connection = try await vhost.connect("bench-worker")
        try await connection.declare(PipelineTopology.inbound)

        // The fastest worker: every job reported done and acked at once; when each mailbox got each job.
        let jobs = JobTimes()
        let start = Date()
        let consumer = try await connection.consume(queue: PipelineNames.fetchQueue, prefetch: 1000)
        let worker = Task {
            try await withThrowingDiscardingTaskGroup { group in
                for try await delivery in consumer {
                    group.addTask {
                        let job = try JSONDecoder.iso8601.decode(FetchJob.self, from: Data(delivery.body))
                        jobs.record(job.mailbox, at: Date().timeIntervalSince(start))
                        let report = FetchReport(mailbox: job.mailbox, chainID: job.chainID)
                        try await connection.publish(OutgoingMessage(exchange: "", routingKey: PipelineNames.fetchReportsQueue,
                                                                     body: Array(try JSONEncoder().encode(report))))
                        delivery.ack()
                    }
                }
            }
        }

        let poller = Process()
        poller.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mailpool")
        poller.arguments = ["poller", "--accounts", accounts]
        poller.environment = ProcessInfo.processInfo.environment.merging(["MAILPOOL_AMQP_URL": url, "BENCH_SECRET": "bench"]) { $1 }
        poller.standardError = FileHandle.nullDevice
        try poller.run()
        defer { poller.terminate() }

        // First cycle: until every mailbox had a job (by design within one interval: slots are spread).
        while jobs.mailboxCount < mailboxes { try await Task.sleep(for: .milliseconds(100)) }
        let firstCycle = Date().timeIntervalSince(start)
        // Each mailbox's jobs are counted over `intervals` intervals of its own, starting half an interval
        // after its first job: a window edge then falls between two of its slots, never on one.
        let cpuBefore = cpuSeconds(of: poller.processIdentifier)
        try await Task.sleep(for: .seconds(Double(interval * intervals)))
        let cpuPerCycle = (cpuSeconds(of: poller.processIdentifier) - cpuBefore) / Double(intervals)
        let (queuesDuring, memoryDuring) = (try brokerQueueCount(node: node), try brokerMemory(node: node))
        try await Task.sleep(for: .seconds(Double(interval)))
        let perMailbox = (0..<mailboxes).map { index in
            let mailbox = "box\(index)@contoso.example"
            let from = jobs.first(mailbox) + Double(interval) / 2
            return jobs.count(mailbox, from: from, to: from + Double(interval * intervals))
        }.sorted()
        poller.terminate()
        poller.waitUntilExit()
        consumer.cancel()
        worker.cancel()
        await connection.close()

        print("Poller: 1 `mailpool poller` process, \(mailboxes) Active mailboxes every \(interval) s, RabbitMQ on loopback, 2 cores shared")
        print(String(format: "first cycle: every mailbox had a job after %.1f s (slots spread over the %d s interval)", firstCycle, interval))
        print("jobs per mailbox per interval over \(intervals) intervals: min \(Double(perMailbox.first ?? 0) / Double(intervals)), "
              + "median \(Double(perMailbox[perMailbox.count / 2]) / Double(intervals)), max \(Double(perMailbox.last ?? 0) / Double(intervals))")
        print(String(format: "poller CPU per cycle: %.2f s", cpuPerCycle))
        print("broker queues: \(queuesBefore) before, \(queuesDuring) while running (+\(queuesDuring - queuesBefore), whatever the number of mailboxes)")
        print(String(format: "broker memory: +%.1f MB while running", Double(memoryDuring - memoryBefore) / 1_048_576))
    }
}

/// When each mailbox got a job, in seconds since the benchmark started.
final class JobTimes: Sendable {
    private let times = Mutex<[String: [Double]]>([:])

    func record(_ mailbox: String, at time: Double) {
        times.withLock { $0[mailbox, default: []].append(time) }
    }

    var mailboxCount: Int { times.withLock { $0.count } }

    func first(_ mailbox: String) -> Double {
        times.withLock { $0[mailbox]?.first ?? 0 }
    }

    func count(_ mailbox: String, from start: Double, to end: Double) -> Int {
        times.withLock { $0[mailbox, default: []].filter { $0 >= start && $0 < end }.count }
    }
}

extension JSONDecoder {
    static let iso8601: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
