import Foundation
import GraphSandbox
import Logging
import MailpoolAMQP
import MailpoolAccounts
import MailpoolCurl
import MailpoolGraph
import MailpoolPipeline
import ServiceLifecycle

/// The whole inbound pipeline in one process for the benchmarks: the Graph sandbox with `mailboxes`,
/// a RabbitMQ virtual host of its own, an accounts file, a poller and one fetch worker, and a consumer
/// of the default events queue.
struct BenchPipeline {
    static let tenant = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9", client = "9e8d7c6b-5a49-4382-9170-f6e5d4c3b2a1", secret = "bench"

    let sandbox: GraphSandbox
    let events: AMQPConsumer
    private let running: RunningSandbox
    private let work: URL
    private let vhost: BenchVirtualHost
    private let connections: [AMQPConnection]
    private let engine: CurlEngine
    private let group: ServiceGroup
    private let services: Task<Void, any Error>

    /// Seeds the sandbox with `seed` before anything polls it, then starts the pipeline.
    init(mailboxes: [String], interval: Int, concurrency: UInt16, node: String, limits: SandboxLimits? = nil, pacing: RequestPacing? = nil,
         seed: (GraphSandbox) async throws -> Void) async throws {
        let sandbox = GraphSandbox(seed: SandboxSeed(tenants: [.init(
            id: Self.tenant, apps: [.init(clientId: Self.client, secrets: [.init(value: Self.secret)])], mailboxes: mailboxes.map { .init(address: $0) })]))
        self.sandbox = sandbox
        try await seed(sandbox)
        if let limits { await sandbox.setLimits(limits) }
        let running = try await sandbox.start()
        self.running = running
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("mailpool-bench-\(UUID().uuidString)")
        self.work = work
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let baseURL = running.baseURL
        let accounts = mailboxes.map { address in
            #"{"name": "\#(address)", "inbound": {"protocol": "GRAPH", "mailbox": "\#(address)", "active": true, "tenantId": "\#(Self.tenant)", "clientId": "\#(Self.client)", "clientSecret": "\#(Self.secret)", "authority": "\#(baseURL)", "graphBaseURL": "\#(baseURL)", "pollIntervalSeconds": \#(interval), "batchSize": 50}}"#
        }
        let accountsPath = work.appendingPathComponent("accounts.json").path
        try #"{"accounts": [\#(accounts.joined(separator: ","))]}"#.write(toFile: accountsPath, atomically: true, encoding: .utf8)
        var quiet = Logger(label: "bench")
        quiet.logLevel = .error
        let catalog = try AccountCatalog(path: accountsPath, environment: [:], logger: quiet)
        let vhost = try BenchVirtualHost(node: node)
        self.vhost = vhost
        var connections: [AMQPConnection] = []
        for name in ["bench-poller", "bench-worker", "bench-events"] { connections.append(try await vhost.connect(name)) }
        self.connections = connections
        let engine = CurlEngine(name: "bench-worker")
        self.engine = engine
        let worker = FetchWorker(
            connection: connections[1], catalog: catalog, store: try InboundStore(root: work.appendingPathComponent("store").path),
            fetchers: ["GRAPH": GraphMailboxFetcher(clients: GraphClients(context: GraphContext(engine: engine, pacing: pacing, logger: quiet)))],
            options: .init(concurrency: concurrency), logger: quiet)
        let poller = Poller(connection: connections[0], catalog: catalog, options: .init(tick: 0.2), logger: quiet)
        try await connections[2].declare(PipelineTopology.inbound)
        try await connections[2].declare(PipelineTopology.defaultEventsQueue)
        events = try await connections[2].consume(queue: PipelineNames.inboundQueue, prefetch: 1000)
        let group = ServiceGroup(configuration: .init(services: [poller, worker], logger: quiet))
        self.group = group
        services = Task { try await group.run() }
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await services.result
        for connection in connections { await connection.close() }
        engine.shutdown()
        await running.stop()
        vhost.delete()
        try? FileManager.default.removeItem(at: work)
    }
}
