import ArgumentParser
import Foundation
import GraphSandbox
import Logging
import MailpoolAMQP
import MailpoolAccounts
import MailpoolCurl
import MailpoolGraph
import MailpoolPipeline
import ServiceLifecycle
import Synchronization

/// `mailpool-bench inbound`: the whole inbound pipeline in one process (poller, one fetch worker, the
/// Graph sandbox) on a RabbitMQ virtual host of its own:
/// 1. messages per second with the sandbox's limits off, and Graph requests per ingested message;
/// 2. with the limits on (Exchange Online's 10,000 requests per 10 minutes per mailbox, compressed in
///    time to a `--window`-second window at the same rate), the share of each mailbox's quota the
///    pool uses, and how many requests were throttled.
struct InboundBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inbound", abstract: "Inbound pipeline throughput and quota use.")

    @Option(help: "Mailboxes for the throughput run.") var mailboxes = 20
    @Option(help: "Messages per mailbox for the throughput run.") var messages = 100
    @Option(help: "Body size of each message in bytes.") var messageSize = 20 * 1024
    @Option(help: "Share of messages carrying a 20 KB PDF attachment.") var attachmentShare = 0.4
    @Option(help: "Fetch worker concurrency.") var concurrency: UInt16 = 16
    @Option(help: "Mailboxes for the quota run.") var quotaMailboxes = 4
    @Option(help: "Seconds the quota run keeps the mailboxes busy.") var quotaSeconds = 40.0
    @Option(help: "The compressed quota window in seconds (10,000 requests per 600 s scaled to it).") var window = 30.0
    @Option(help: "RabbitMQ node for rabbitmqctl (creates the benchmark's virtual host).") var node = "rabbit@localhost"

    func run() async throws {
        let throughput = try await runPipeline(mailboxCount: mailboxes, perMailbox: messages, limits: nil, pacing: nil)
        let quotaRate = 10_000.0 / 600.0
        let perWindow = Int((quotaRate * window).rounded(.down))
        let pacing = RequestPacing(requestsPerWindow: perWindow, windowSeconds: window, utilization: 0.95, burst: 10)
        // Enough mail to keep each mailbox busy for quotaSeconds at ~3 requests per message.
        let quotaMessages = Int(quotaRate * quotaSeconds / 3)
        let quota = try await runPipeline(
            mailboxCount: quotaMailboxes, perMailbox: quotaMessages,
            limits: SandboxLimits(enabled: true, requestsPerTenMinutes: perWindow, requestWindowSeconds: window), pacing: pacing)

        print("Inbound pipeline: poller + 1 fetch worker (concurrency \(concurrency)) + Graph sandbox in one process, RabbitMQ on loopback")
        print(String(format: "%.0f %% of the messages carry an attachment", attachmentShare * 100))
        print("run                                   | messages | seconds | messages/s | Graph requests per message (listings apart) | 429s")
        print("--------------------------------------|----------|---------|------------|---------------------------------------------|-----")
        for (name, result) in [("\(mailboxes) mailboxes, limits off", throughput), ("\(quotaMailboxes) mailboxes, per-mailbox limits on", quota)] {
            print(name.padding(toLength: 38, withPad: " ", startingAt: 0) + "| \(String(result.messages).leftPadded(8)) | "
                  + String(format: "%7.1f", result.seconds) + " | " + String(format: "%10.0f", Double(result.messages) / result.seconds)
                  + " | " + String(format: "%30.2f (%.2f)", Double(result.requests) / Double(result.messages),
                                   Double(result.requests - result.listings) / Double(result.messages)) + " | \(result.throttled)")
        }
        let perMailboxRate = Double(quota.requests) / quota.seconds / Double(quotaMailboxes)
        print(String(format: "quota use with limits on: %.1f requests/s per mailbox = %.0f %% of the quota (%.2f/s), %d requests throttled",
                     perMailboxRate, 100 * perMailboxRate / quotaRate, quotaRate, quota.throttled))
    }

    struct Result {
        let messages: Int
        let seconds: Double
        let requests: Int
        /// Requests listing the Inbox (one per batch).
        let listings: Int
        let throttled: Int
    }

    private func runPipeline(mailboxCount: Int, perMailbox: Int, limits: SandboxLimits?, pacing: RequestPacing?) async throws -> Result {
        let tenant = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9", client = "9e8d7c6b-5a49-4382-9170-f6e5d4c3b2a1", secret = "bench"
        let addresses = (0..<mailboxCount).map { "bench\($0)@contoso.example" }
        let sandbox = GraphSandbox(seed: SandboxSeed(tenants: [.init(
            id: tenant, apps: [.init(clientId: client, secrets: [.init(value: secret)])], mailboxes: addresses.map { .init(address: $0) })]))
        let body = String(repeating: "x", count: messageSize)
        for address in addresses {
            for index in 0..<perMailbox {
                // Spread evenly: message i carries one when the share's running total passes a whole number.
                let attached = Int(Double(index + 1) * attachmentShare) > Int(Double(index) * attachmentShare)
                try await sandbox.seed(SeedMessage(
                    subject: "bench \(index)", from: EmailAddress("lab@vendor.example"), to: [address], body: body,
                    attachments: attached ? [.init(name: "coa-\(index).pdf", contentType: "application/pdf", generatedSize: 20 * 1024)] : nil),
                    to: address)
            }
        }
        if let limits { await sandbox.setLimits(limits) }
        let running = try await sandbox.start()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("mailpool-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let accounts = addresses.map { address in
            #"{"name": "\#(address)", "inbound": {"protocol": "GRAPH", "mailbox": "\#(address)", "active": true, "tenantId": "\#(tenant)", "clientId": "\#(client)", "clientSecret": "\#(secret)", "authority": "\#(running.baseURL)", "graphBaseURL": "\#(running.baseURL)", "pollIntervalSeconds": 1, "batchSize": 50}}"#
        }
        let accountsPath = work.appendingPathComponent("accounts.json").path
        try #"{"accounts": [\#(accounts.joined(separator: ","))]}"#.write(toFile: accountsPath, atomically: true, encoding: .utf8)
        var quiet = Logger(label: "bench")
        quiet.logLevel = .error
        let catalog = try AccountCatalog(path: accountsPath, environment: [:], logger: quiet)

        let vhost = "mailpool-bench-\(UUID().uuidString.prefix(8).lowercased())"
        try rabbitmqctl(node: node, "add_vhost", vhost)
        try rabbitmqctl(node: node, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        defer { try? rabbitmqctl(node: node, "delete_vhost", vhost) }
        func connect(_ name: String) async throws -> AMQPConnection {
            try await AMQPConnection.connect(AMQPConnectionOptions(urls: [try AMQPURL("amqp://guest:guest@127.0.0.1:5672/\(vhost)")],
                                                                   connectionName: name), logger: quiet)
        }
        let (pollerConnection, workerConnection, eventsConnection) = (try await connect("bench-poller"), try await connect("bench-worker"), try await connect("bench-events"))
        let engine = CurlEngine(name: "bench-worker")
        let worker = FetchWorker(
            connection: workerConnection, catalog: catalog, store: try InboundStore(root: work.appendingPathComponent("store").path),
            fetchers: ["GRAPH": GraphMailboxFetcher(clients: GraphClients(context: GraphContext(engine: engine, pacing: pacing, logger: quiet)))],
            options: .init(concurrency: concurrency), logger: quiet)
        let poller = Poller(connection: pollerConnection, catalog: catalog, options: .init(tick: 0.2), logger: quiet)
        try await eventsConnection.declare(PipelineTopology.inbound)
        try await eventsConnection.declare(PipelineTopology.defaultEventsQueue)

        let total = mailboxCount * perMailbox
        let start = ContinuousClock.now
        let group = ServiceGroup(configuration: .init(services: [poller, worker], logger: quiet))
        let services = Task { try await group.run() }
        var received = 0
        for try await delivery in try await eventsConnection.consume(queue: PipelineNames.inboundQueue, prefetch: 1000) {
            delivery.ack()
            received += 1
            if received == total { break }
        }
        let elapsed = ContinuousClock.now - start
        await group.triggerGracefulShutdown()
        _ = await services.result
        let stats = await sandbox.statistics()
        for connection in [pollerConnection, workerConnection, eventsConnection] { await connection.close() }
        engine.shutdown()
        await running.stop()
        let graphRequests = stats.requests.filter { $0.key.contains(" /v1.0/") }
        return Result(messages: total,
                      seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                      requests: graphRequests.values.reduce(0, +),
                      listings: graphRequests.filter { $0.key.hasPrefix("GET ") && $0.key.contains("/mailFolders/") && $0.key.contains("/messages ") }
                          .values.reduce(0, +),
                      throttled: graphRequests.filter { $0.key.hasSuffix(" 429") }.values.reduce(0, +))
    }
}
