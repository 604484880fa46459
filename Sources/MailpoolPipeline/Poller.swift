import FoundationEssentials
import Logging
import MailpoolAMQP
import MailpoolAccounts
import Metrics
import ServiceLifecycle
import Synchronization

/// Publishes one fetch job per mailbox whose inbound side is Active, every poll interval of its
/// account, never more than one outstanding per mailbox (see ``PollerLeader``). Safe to run as several
/// replicas: only the holder of the poller lock (an exclusive queue, which the broker frees when its
/// connection dies) polls; the others retry the lock every `standbyRetry` seconds, which bounds the
/// takeover time. The broker holds the same few queues however many mailboxes there are.
public struct Poller: Service {
    public struct Options: Sendable {
        public var tick: Double
        public var standbyRetry: Double
        /// How long a job chain may stay out before its mailbox is polled again anyway (a lost job).
        public var leaseSeconds: Double
        /// How long, after taking the lead, the chains the previous leader left out may still report
        /// before their mailboxes are polled again (their jobs may never have been published).
        public var takeoverGraceSeconds: Double
        /// Job publishes awaiting their confirms at once.
        public var publishWindow: Int

        public init(tick: Double = 1, standbyRetry: Double = 1, leaseSeconds: Double = 30 * 60, takeoverGraceSeconds: Double = 30,
                    publishWindow: Int = 256) {
            self.tick = tick
            self.standbyRetry = standbyRetry
            self.leaseSeconds = leaseSeconds
            self.takeoverGraceSeconds = takeoverGraceSeconds
            self.publishWindow = publishWindow
        }
    }

    let connection: AMQPConnection
    let catalog: AccountCatalog
    let options: Options
    let logger: Logger
    let leadership = PollerLeadership()

    public init(connection: AMQPConnection, catalog: AccountCatalog, options: Options = Options(),
                logger: Logger = Logger(label: "mailpool.poller")) {
        self.connection = connection
        self.catalog = catalog
        self.options = options
        self.logger = logger
    }

    public func run() async throws {
        try await connection.declare(PipelineTopology.inbound)
        var leader: PollerLeader?
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            guard (try? await holdsLead()) == true else {
                leader?.stepDown()
                leader = nil
                try? await Task.sleep(for: .milliseconds(Int(options.standbyRetry * 1000)))
                continue
            }
            do {
                if leader == nil {
                    leader = try await PollerLeader.takeOver(connection: connection, options: options, logger: logger)
                }
                catalog.reloadIfChanged()
                try await leader?.tick(accounts: catalog.accounts)
            } catch {
                logger.warning("a poll tick failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .milliseconds(Int(options.tick * 1000)))
        }
        leader?.stepDown()
        if leadership.isLeader { try? await connection.unlock(PipelineNames.pollerLock) }
    }

    /// Whether this replica leads: takes the lock when free, and notices when a reconnect lost it.
    private func holdsLead() async throws -> Bool {
        if leadership.isLeader && leadership.connection == connection.connectionCount { return true }
        let taken = try await connection.tryLock(PipelineNames.pollerLock)
        leadership.update(taken)
        return taken != nil
    }

    /// True while this replica holds the poller lock.
    public var isLeader: Bool { leadership.isLeader }
}

/// Which connection (by count) holds the poller lock, if any.
final class PollerLeadership: Sendable {
    private let held = Mutex<Int?>(nil)

    var isLeader: Bool { held.withLock { $0 != nil } }
    var connection: Int? { held.withLock { $0 } }

    func update(_ connection: Int?) {
        held.withLock { $0 = connection }
        Gauge(label: "mailpool_poller_leading").record(connection == nil ? 0 : 1)
    }
}
