import ArgumentParser
import Foundation
import GraphSandbox
import Logging
import MailpoolAMQP
import MailpoolNotifications

/// `mailpool-bench notifications`: one `mailpool notification-worker` process (release build) sending
/// through the in-process Graph sandbox, RabbitMQ on loopback:
/// 1. notifications per second end to end (enqueue → accepted by the sandbox) with a backlog, with the
///    CPU the worker, this process (sandbox and publisher) and the broker spent on each, and the share
///    of the machine's cores left idle;
/// 2. at half that rate, p50/p99 latency from enqueue to acceptance;
/// and the worker's resident memory. Notifications are spread over `senders` mailboxes (the worker keeps
/// to Exchange's 4 concurrent requests per mailbox). The per-sender rate limit and Graph pacing are off
/// (they would cap one sender at 30 messages a minute); sandbox limits are off.
struct NotificationBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "notifications", abstract: "Notification worker throughput, latency and memory.")

    @Option(help: "Notifications in the throughput run.") var count = 20_000
    @Option(help: "Seconds of the half-rate latency run.") var latencySeconds = 10.0
    @Option(help: "Worker concurrency.") var concurrency = 64
    @Option(help: "Sender mailboxes the notifications are spread over (Exchange allows 4 concurrent requests per mailbox).") var senders = 8
    @Option(help: "RabbitMQ node for rabbitmqctl.") var node = "rabbit@localhost"

    func run() async throws {
        let tenant = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9", client = "9e8d7c6b-5a49-4382-9170-f6e5d4c3b2a1", secret = "bench"
        let mailboxes = (0..<senders).map { "notifications\($0)@contoso.example" }
        let sandbox = GraphSandbox(seed: SandboxSeed(tenants: [.init(id: tenant, apps: [.init(clientId: client, secrets: [.init(value: secret)])],
                                                                     mailboxes: mailboxes.map { .init(address: $0) })]))
        let running = try await sandbox.start()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("mailpool-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let accounts = work.appendingPathComponent("accounts.json").path
        let entries = mailboxes.enumerated().map { index, mailbox in
            #"{"name": "Notifier \#(index)", "useForNotification": \#(index == 0), "outbound": {"protocol": "GRAPH", "mailbox": "\#(mailbox)", "active": true, "tenantId": "\#(tenant)", "clientId": "\#(client)", "clientSecret": "\#(secret)", "authority": "\#(running.baseURL)", "graphBaseURL": "\#(running.baseURL)"}}"#
        }
        try #"{"accounts": [\#(entries.joined(separator: ","))]}"#.write(toFile: accounts, atomically: true, encoding: .utf8)
        let broker = try brokerProcessID(node: node)
        let vhost = try BenchVirtualHost(node: node)
        defer { vhost.delete() }
        let url = vhost.url
        let connection = try await vhost.connect("bench-enqueue")
        try await connection.declare(NotificationNames.topology(ladder: RetryLadder()))

        let worker = Process()
        worker.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mailpool")
        worker.arguments = ["notification-worker", "--accounts", accounts, "--dedupe", work.appendingPathComponent("dedupe").path,
                            "--per-minute", "0", "--request-quota", "0", "--concurrency", "\(concurrency)"]
        worker.environment = ProcessInfo.processInfo.environment.merging(["MAILPOOL_AMQP_URL": url]) { $1 }
        worker.standardError = FileHandle.nullDevice
        try worker.run()
        defer { worker.terminate() }
        while try await connection.queueInfo(NotificationNames.queue).consumerCount == 0 { try await Task.sleep(for: .milliseconds(50)) }

        // 1. Throughput with a backlog.
        let start = ContinuousClock.now
        let (workerCPUBefore, benchCPUBefore, brokerCPUBefore) = (cpuSeconds(of: worker.processIdentifier), cpuSeconds(), cpuSeconds(of: broker))
        let idleBefore = machineIdleSeconds()
        // The producer stands in for the systems that enqueue: it publishes in pipelined batches of 100
        // (5 in flight), so that its own cost on the shared cores stays small beside the worker's.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (number, first) in stride(from: 0, to: count, by: 100).enumerated() {
                if number >= 5 { try await group.next() }
                let batch = (first..<min(count, first + 100)).map { notification("t-\($0)") }
                group.addTask { try await connection.publish(batch) }
            }
            try await group.waitForAll()
        }
        while await sandbox.statistics().messagesSent < count { try await Task.sleep(for: .milliseconds(20)) }
        let elapsed = seconds(ContinuousClock.now - start)
        let throughput = Double(count) / elapsed
        let idle = (machineIdleSeconds() - idleBefore) / (elapsed * Double(ProcessInfo.processInfo.activeProcessorCount)) * 100
        let brokerCPU = (cpuSeconds(of: broker) - brokerCPUBefore) / Double(count) * 1000
        let workerCPU = (cpuSeconds(of: worker.processIdentifier) - workerCPUBefore) / Double(count) * 1000
        let benchCPU = (cpuSeconds() - benchCPUBefore) / Double(count) * 1000

        // 2. Latency at half that rate.
        let rate = throughput / 2
        let total = Int(rate * latencySeconds)
        var enqueued: [String: Double] = [:]
        let paceStart = ContinuousClock.now
        for index in 0..<total {
            try await Task.sleep(until: paceStart + .microseconds(Int(Double(index) / rate * 1_000_000)))
            let id = "l-\(index)"
            enqueued[id] = Date().timeIntervalSince1970
            try await connection.publish(notification(id))
        }
        while await sandbox.statistics().messagesSent < count + total { try await Task.sleep(for: .milliseconds(20)) }
        var records: [SentRecord] = []
        for mailbox in mailboxes { records += await sandbox.sent(from: mailbox) }
        let latencies = records.compactMap { record -> Double? in
            guard let id = record.internetMessageHeaders["x-mailpool-notification-id"], let sentAt = enqueued[id] else { return nil }
            return (record.acceptedAt - sentAt) * 1000
        }.sorted()
        let (rss, peak) = memory(of: worker.processIdentifier)
        let maps = (try? String(contentsOfFile: "/proc/\(worker.processIdentifier)/maps", encoding: .utf8)) ?? ""
        let runtime = maps.contains("libswiftCore.so") ? "shared Swift runtime; build with --static-swift-stdlib as the image does" : "static Swift runtime, as in the image"
        worker.terminate()
        worker.waitUntilExit()
        await connection.close()
        await running.stop()

        print("Notifications: 1 worker process (concurrency \(concurrency)), \(senders) sender mailboxes → Graph sandbox (draft, then send), RabbitMQ on loopback, 2 cores shared")
        print(String(format: "throughput: %d notifications in %.1f s = %.0f notifications/s (enqueue → accepted)", count,
                     Double(count) / throughput, throughput))
        print(String(format: "CPU per notification: worker %.2f ms (%.0f notifications/s per core), sandbox + publisher %.2f ms, RabbitMQ %.2f ms; cores idle %.0f %%",
                     workerCPU, 1000 / workerCPU, benchCPU, brokerCPU, idle))
        print(String(format: "latency at %.0f/s (%d notifications): p50 %.1f ms, p99 %.1f ms, max %.1f ms", rate, latencies.count,
                     percentile(latencies, 0.5), percentile(latencies, 0.99), latencies.last ?? 0))
        print(String(format: "worker memory: %.1f MB resident at the end, %.1f MB peak", Double(rss) / 1024, Double(peak) / 1024) + " (\(runtime))")
    }

    /// The notification `id` as a system enqueues it, from one of the sender mailboxes.
    private func notification(_ id: String) -> OutgoingMessage {
        let account = "Notifier \(id.hashValue.magnitude % UInt(senders))"
        let body = #"{"id":"\#(id)","account":"\#(account)","to":[{"address":"buyer@customer.example"}],"subject":"CAR \#(id)","text":"Please respond within 10 days."}"#
        return OutgoingMessage(exchange: "", routingKey: NotificationNames.queue, body: Array(body.utf8),
                               properties: AMQPProperties(contentType: "application/json", messageID: id))
    }

    private func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// VmRSS and VmHWM (peak) of a process, in KB.
    private func memory(of pid: Int32) -> (Int, Int) {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            status.split(separator: "\n").first { $0.hasPrefix(name) }.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        }
        return (field("VmRSS:"), field("VmHWM:"))
    }
}
