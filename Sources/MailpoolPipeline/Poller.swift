import Foundation
import Logging
import MailpoolAMQP
import MailpoolAccounts
import ServiceLifecycle
import Synchronization

/// Publishes one fetch job per account whose inbound side is Active, every poll interval of that
/// account. Safe to run as several replicas: only the holder of the poller lock (an exclusive queue,
/// which the broker frees when its connection dies) polls; the others retry the lock every
/// `standbyRetry` seconds, which bounds the takeover time.
///
/// Never more than one outstanding job per mailbox: before publishing a job the poller publishes a
/// marker to the mailbox's single-slot queue; the broker refuses it (basic.nack) while a job is
/// outstanding, and the worker clears it when the mailbox's batch is done.
public struct Poller: Service {
    public struct Options: Sendable {
        public var tick: Double
        public var standbyRetry: Double
        public var staleAfterMilliseconds: Int

        public init(tick: Double = 1, standbyRetry: Double = 1, staleAfterMilliseconds: Int = 30 * 60 * 1000) {
            self.tick = tick
            self.standbyRetry = standbyRetry
            self.staleAfterMilliseconds = staleAfterMilliseconds
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
        var nextDue: [String: ContinuousClock.Instant] = [:]
        var declared: Set<String> = []
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            guard try await holdsLead() else {
                nextDue.removeAll()
                try? await Task.sleep(for: .milliseconds(Int(options.standbyRetry * 1000)))
                continue
            }
            catalog.reloadIfChanged()
            let now = ContinuousClock.now
            for account in catalog.accounts {
                guard let inbound = account.inbound, inbound.active, now >= nextDue[account.name, default: now] else { continue }
                let mailbox = inbound.mailbox.lowercased()
                do {
                    if declared.insert(mailbox).inserted {
                        try await connection.declare(PipelineTopology.pending(mailbox: mailbox,
                                                                              staleAfterMilliseconds: options.staleAfterMilliseconds))
                    }
                    try await schedule(account: account.name, mailbox: inbound.mailbox)
                } catch {
                    logger.warning("cannot schedule a fetch", metadata: ["mailpool.account": "\(account.name)", "error": "\(error)"])
                }
                nextDue[account.name] = now + .seconds(inbound.pollIntervalSeconds)
            }
            try? await Task.sleep(for: .milliseconds(Int(options.tick * 1000)))
        }
        if leadership.isLeader { try? await connection.unlock(PipelineNames.pollerLock) }
    }

    /// Publishes the marker, then the job; a refused marker means a job is still outstanding.
    private func schedule(account: String, mailbox: String) async throws {
        let pending = PipelineNames.pendingQueue(mailbox: mailbox)
        do {
            try await connection.publish(OutgoingMessage(exchange: "", routingKey: pending, body: [],
                                                         properties: AMQPProperties(type: "pending")))
        } catch AMQPError.publishNacked {
            logger.trace("a fetch job is outstanding", metadata: ["mailpool.account": "\(account)"])
            return
        }
        do {
            try await connection.publish(FetchWorker.message(for: FetchJob(account: account, mailbox: mailbox)))
        } catch {
            try? await connection.purgeQueue(pending)  // no job went out: free the slot again
            throw error
        }
    }

    /// Whether this replica leads: takes the lock when free, and notices when a reconnect lost it.
    private func holdsLead() async throws -> Bool {
        if leadership.isLeader && leadership.connection == connection.connectionCount { return true }
        let taken = try await connection.tryLock(PipelineNames.pollerLock)
        leadership.update(taken ? connection.connectionCount : nil)
        if taken { logger.info("this poller is now active") }
        return taken
    }

    /// True while this replica holds the poller lock.
    public var isLeader: Bool { leadership.isLeader }
}

/// Which connection (by count) holds the poller lock, if any.
final class PollerLeadership: Sendable {
    private let held = Mutex<Int?>(nil)

    var isLeader: Bool { held.withLock { $0 != nil } }
    var connection: Int? { held.withLock { $0 } }

    func update(_ connection: Int?) { held.withLock { $0 = connection } }
}
