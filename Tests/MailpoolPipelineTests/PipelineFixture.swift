import Foundation
import GraphSandbox
import Logging
import MailpoolAMQP
import MailpoolAccounts
import MailpoolCurl
import MailpoolGraph
import MailpoolPipeline
import MailpoolTestSupport
import ServiceLifecycle
import Synchronization
import Testing

/// A pipeline under test: the Graph sandbox, a RabbitMQ virtual host of its own, an accounts file, an
/// inbound store, and any number of pollers and fetch workers running in-process as services.
final class PipelineFixture: @unchecked Sendable {
    static let tenant = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"
    static let client = "9e8d7c6b-5a49-4382-9170-f6e5d4c3b2a1"
    static let secret = "pipeline~secret"
    static let expiredClient = "9e8d7c6b-5a49-4382-9170-000000000bad"
    static let expiredSecret = "pipeline~old-secret"
    static let amqpURL = ProcessInfo.processInfo.environment["MAILPOOL_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/%2f"
    static let node = ProcessInfo.processInfo.environment["MAILPOOL_RABBITMQ_NODE"] ?? "rabbit@localhost"

    let sandbox: GraphSandbox
    let running: RunningSandbox
    let vhost: String
    let directory: URL
    let accountsPath: String
    let store: InboundStore
    let mailboxes: [String]
    private var groups: [(ServiceGroup, Task<Void, any Error>)] = []
    private var connections: [AMQPConnection] = []
    private var engines: [CurlEngine] = []
    private var relays: [TCPRelay] = []

    /// `storeRoot`: where the inbound store lives (a directory of the fixture's own when nil).
    init(mailboxes count: Int, storeRoot: String? = nil) async throws {
        mailboxes = (0..<count).map { "box\($0)@contoso.example" }
        sandbox = GraphSandbox(seed: SandboxSeed(tenants: [.init(
            id: Self.tenant,
            apps: [.init(clientId: Self.client, secrets: [.init(value: Self.secret)]),
                   .init(clientId: Self.expiredClient, secrets: [.init(value: Self.expiredSecret, expired: true)])],
            mailboxes: (mailboxes + ["expired@contoso.example"]).map { .init(address: $0) })]))
        running = try await sandbox.start()
        vhost = "mailpool-pipeline-\(UUID().uuidString.prefix(8).lowercased())"
        try await Self.rabbitmqctl("add_vhost", vhost)
        try await Self.rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailpool-pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        accountsPath = directory.appendingPathComponent("accounts.json").path
        store = try InboundStore(root: storeRoot ?? directory.appendingPathComponent("store").path)
        try writeAccounts(active: Set(mailboxes))
    }

    /// Writes the accounts file: one GRAPH account per mailbox (`box0` … named after the mailbox),
    /// Active when in `active`, polled every `interval` seconds; plus `extra` raw account JSON objects.
    func writeAccounts(active: Set<String>, interval: Int = 1, batchSize: Int = 25, extra: [String] = []) throws {
        let accounts = mailboxes.map { mailbox in
            graphAccount(name: mailbox, mailbox: mailbox, client: Self.client, secret: Self.secret, active: active.contains(mailbox),
                         interval: interval, batchSize: batchSize)
        } + extra
        try #"{"accounts": [\#(accounts.joined(separator: ",\n"))]}"#.write(toFile: accountsPath, atomically: true, encoding: .utf8)
    }

    func graphAccount(name: String, mailbox: String, client: String, secret: String, active: Bool, interval: Int = 1,
                      batchSize: Int = 25) -> String {
        #"""
        {"name": "\#(name)", "inbound": {"protocol": "GRAPH", "mailbox": "\#(mailbox)", "active": \#(active),
          "tenantId": "\#(Self.tenant)", "clientId": "\#(client)", "clientSecret": "\#(secret)",
          "authority": "\#(running.baseURL)", "graphBaseURL": "\#(running.baseURL)", "pollIntervalSeconds": \#(interval), "batchSize": \#(batchSize)}}
        """#
    }

    /// A connection in the fixture's virtual host. Through `relay`, it goes to the broker through the
    /// relay first and straight to it after a loss, as to a second node, with 1 s heartbeats.
    func connect(_ name: String, through relay: TCPRelay? = nil) async throws -> AMQPConnection {
        var options = try AMQPConnectionOptions(urlList: Self.amqpURL, connectionName: name)
        options.urls = options.urls.map { var url = $0; url.vhost = vhost; return url }
        if let relay, var relayed = options.urls.first {
            relayed.host = relay.host
            relayed.port = relay.port
            options.urls.insert(relayed, at: 0)
            options.heartbeat = 1
        }
        options.reconnectBackoff = .init(initial: 0.05, maximum: 1)
        let connection = try await AMQPConnection.connect(options)
        connections.append(connection)
        return connection
    }

    func catalog(environment: [String: String] = [:]) throws -> AccountCatalog {
        var logger = Logger(label: "test.accounts")
        logger.logLevel = .critical
        return try AccountCatalog(path: accountsPath, environment: environment, logger: logger)
    }

    func startPoller(environment: [String: String] = [:]) async throws {
        let poller = Poller(connection: try await connect("test-poller"), catalog: try catalog(environment: environment),
                            options: .init(tick: 0.2, standbyRetry: 0.2, takeoverGraceSeconds: 5))
        start(poller)
    }

    /// Seeds `count` plain messages into `mailbox`: "COA 0", "COA 1", … (with `subject` for "COA").
    func seed(_ count: Int, to mailbox: String, subject: String = "COA") async throws {
        for index in 0..<count {
            try await sandbox.seed(SeedMessage(subject: "\(subject) \(index)", to: [mailbox]), to: mailbox)
        }
    }

    /// A TCP relay to the broker (see ``connect(_:through:)``).
    func relay() async throws -> TCPRelay {
        let broker = try AMQPURL(Self.amqpURL)
        let relay = try await TCPRelay.start(to: broker.host, port: broker.port)
        relays.append(relay)
        return relay
    }

    func startWorker(concurrency: UInt16 = 8, quarantineAfter: Int = 3, environment: [String: String] = [:],
                     through relay: TCPRelay? = nil, logger: Logger = Logger(label: "mailpool.fetch-worker")) async throws {
        let engine = CurlEngine(name: "test-worker")
        engines.append(engine)
        let worker = FetchWorker(
            connection: try await connect("test-worker", through: relay), catalog: try catalog(environment: environment), store: store,
            fetchers: ["GRAPH": GraphMailboxFetcher(clients: GraphClients(context: GraphContext(engine: engine))),
                       "IMAP4": IMAPMailboxFetcher(engine: engine), "POP3": POP3MailboxFetcher(engine: engine)],
            options: .init(concurrency: concurrency, backoff: FailureBackoff(transient: 1, configuration: 3), busyRetryDelay: 0.2,
                           quarantineAfter: quarantineAfter),
            logger: logger)
        start(worker)
    }

    func track(_ engine: CurlEngine) { engines.append(engine) }

    /// Publishes `count` fetch jobs for `mailbox` straight to the fetch queue, as a poller would.
    func publishFetchJobs(for mailbox: String, count: Int) async throws {
        let publisher = try await connect("test-jobs")
        try await publisher.declare(PipelineTopology.inbound)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        for _ in 0..<count {
            try await publisher.publish(OutgoingMessage(exchange: "", routingKey: PipelineNames.fetchQueue,
                                                        body: Array(try encoder.encode(FetchJob(account: mailbox, mailbox: mailbox)))))
        }
    }

    func start(_ service: some Service) {
        var logger = Logger(label: "test.pipeline")
        logger.logLevel = .critical
        let group = ServiceGroup(configuration: .init(services: [service], logger: logger))
        groups.append((group, Task { try await group.run() }))
    }

    /// Collects InboundMail and InboundQuarantined events from the default events queue.
    func collectEvents() async throws -> EventCollector {
        let connection = try await connect("test-events")
        try await connection.declare(PipelineTopology.inbound)
        try await connection.declare(PipelineTopology.defaultEventsQueue)
        let collector = EventCollector()
        let consumer = try await connection.consume(queue: PipelineNames.inboundQueue, prefetch: 500)
        collector.task = Task {
            for try await delivery in consumer {
                let decoder = JSONDecoder()
                decoder.dateDecodingStrategy = .iso8601
                if delivery.properties.type == "InboundQuarantined" {
                    let event = try decoder.decode(InboundQuarantinedEvent.self, from: Data(delivery.body))
                    collector.quarantined.withLock { $0.append(event) }
                } else {
                    let event = try decoder.decode(InboundMailEvent.self, from: Data(delivery.body))
                    collector.events.withLock { $0.append(event) }
                }
                delivery.ack()
            }
        }
        return collector
    }

    /// Stops every poller and worker gracefully (each finishes its job in progress), then waits until
    /// the collector has taken every event published: what has arrived then is all that will.
    func drain(_ events: EventCollector? = nil) async throws {
        for (group, task) in groups {
            await group.triggerGracefulShutdown()
            _ = await task.result
        }
        groups.removeAll()
        guard events != nil else { return }
        try await eventually(within: 120, "events still queued or unacknowledged after the drain") {
            // `messages` counts ready and unacknowledged ones: 0 means the collector holds every event.
            let line = try await Self.rabbitmqctl("list_queues", "-p", vhost, "--quiet", "--no-table-headers", "name", "messages")
                .split(separator: "\n").first { $0.hasPrefix(PipelineNames.inboundQueue + "\t") }
            return line?.split(separator: "\t").last == "0"
        }
    }

    /// The chains' end reports the workers published, taken from the queue (when no poller runs).
    func reports() async throws -> [FetchReport] {
        let connection = try await connect("test-reports")
        let waiting = try await connection.queueInfo(PipelineNames.fetchReportsQueue).messageCount
        var reports: [FetchReport] = []
        guard waiting > 0 else { return reports }
        let consumer = try await connection.consume(queue: PipelineNames.fetchReportsQueue, prefetch: 100)
        for try await delivery in consumer {
            reports.append(try JSONDecoder().decode(FetchReport.self, from: Data(delivery.body)))
            delivery.ack()
            if reports.count == waiting { break }
        }
        consumer.cancel()
        return reports
    }

    func stop() async {
        for (group, task) in groups {
            await group.triggerGracefulShutdown()
            _ = await task.result
        }
        for relay in relays { await relay.stop() }
        for connection in connections { await connection.close() }
        for engine in engines { engine.shutdown() }
        await running.stop()
        try? await Self.rabbitmqctl("delete_vhost", vhost)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs rabbitmqctl against the test node; returns its output.
    @discardableResult
    static func rabbitmqctl(_ arguments: String...) async throws -> String {
        let run = try await runCommand(["rabbitmqctl", "-n", node] + arguments)
        try #require(run.status == 0, "rabbitmqctl \(arguments.joined(separator: " ")) failed: is RabbitMQ running?")
        return run.output
    }
}

/// Events received downstream.
final class EventCollector: @unchecked Sendable {
    let events = Mutex<[InboundMailEvent]>([])
    let quarantined = Mutex<[InboundQuarantinedEvent]>([])
    var task: Task<Void, any Error>?

    var count: Int { events.withLock { $0.count } }
    var all: [InboundMailEvent] { events.withLock { $0 } }
    var allQuarantined: [InboundQuarantinedEvent] { quarantined.withLock { $0 } }
}
