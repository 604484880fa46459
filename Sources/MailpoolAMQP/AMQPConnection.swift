import FoundationEssentials
import Metrics
import Logging

/// A RabbitMQ connection that recovers by itself. One thread of its own owns the rabbitmq-c
/// connection; these async methods hand work to it and never block the cooperative thread pool.
///
/// After the connection is lost (socket error, missed heartbeats, the broker closing it) the owner
/// thread reconnects with backoff, trying the configured nodes in turn, declares the topology again
/// and resumes every consumer. Publishes that had not been confirmed fail with
/// ``AMQPError/connectionLost(_:)``; publishes and declarations submitted while disconnected wait for
/// the next connection.
public final class AMQPConnection: Sendable {
    private let inbox: CommandInbox
    private let statistics: ConnectionStatistics

    private init(inbox: CommandInbox, statistics: ConnectionStatistics) {
        self.inbox = inbox
        self.statistics = statistics
    }

    deinit {
        // Without this the owner thread would keep a connection nobody can reach.
        inbox.submit(.close(nil))
    }

    /// Connects to the first node that accepts and declares `topology`. Throws the typed error of the
    /// last node tried: ``AMQPError/accessRefused(endpoint:replyText:)``,
    /// ``AMQPError/vhostNotFound(endpoint:replyText:)``, ``AMQPError/connectionRefused(endpoint:detail:)``,
    /// ``AMQPError/preconditionFailed(replyText:)`` ...
    public static func connect(
        _ options: AMQPConnectionOptions,
        topology: Topology = Topology(),
        logger: Logger = Logger(label: "mailpool.amqp")
    ) async throws -> AMQPConnection {
        let inbox = CommandInbox()
        let statistics = ConnectionStatistics()
        let loop = ConnectionLoop(options: options, topology: Topology(), inbox: inbox,
                                  statistics: statistics, logger: logger)
        try await withCheckedThrowingContinuation { loop.start(connected: $0) }
        let connection = AMQPConnection(inbox: inbox, statistics: statistics)
        if !topology.isEmpty {
            do {
                try await connection.declare(topology)
            } catch {
                await connection.close()
                throw error
            }
        }
        return connection
    }

    /// Declares exchanges, queues and bindings, and remembers them to declare again after a reconnect.
    public func declare(_ topology: Topology) async throws {
        try await withCheckedThrowingContinuation { inbox.submit(.declare(topology, $0)) }
    }

    /// Passive declare: the queue's ready-message and consumer counts, or ``AMQPError/notFound(replyText:)``.
    public func queueInfo(_ queue: String) async throws -> QueueInfo {
        try await withCheckedThrowingContinuation { inbox.submit(.inspectQueue(queue, $0)) }
    }

    public func deleteQueue(_ queue: String) async throws {
        try await withCheckedThrowingContinuation { inbox.submit(.deleteQueue(queue, $0)) }
    }

    /// Removes every ready message from `queue`; returns how many there were.
    @discardableResult
    public func purgeQueue(_ queue: String) async throws -> Int {
        try await withCheckedThrowingContinuation { inbox.submit(.purgeQueue(queue, $0)) }
    }

    /// Takes the lock called `name`: an exclusive queue, which the broker gives to one connection at a
    /// time and deletes when that connection closes or dies. Returns the number of the connection that
    /// took it (as ``connectionCount`` counts them), or nil when another connection holds it. The lock
    /// is held while ``connectionCount`` still equals that number: it is not taken again by itself
    /// after a reconnect. A call that a reconnect interrupts is made again on the next connection, so
    /// the number can be that connection's, not the one there was when the call began.
    public func tryLock(_ name: String) async throws -> Int? {
        do {
            return try await withCheckedThrowingContinuation {
                inbox.submit(.declareTransient(QueueSpec(name: name, durable: false, exclusive: true, autoDelete: false), $0))
            }
        } catch AMQPError.resourceLocked {
            return nil
        }
    }

    /// Gives up a lock taken with ``tryLock(_:)``.
    public func unlock(_ name: String) async throws {
        try await deleteQueue(name)
    }

    public func deleteExchange(_ exchange: String) async throws {
        try await withCheckedThrowingContinuation { inbox.submit(.deleteExchange(exchange, $0)) }
    }

    /// Publishes and returns once the broker has confirmed the message (publisher confirms): it is
    /// then in every queue it routes to, on disk for durable queues and persistent messages.
    /// Throws ``AMQPError/unroutable(replyCode:replyText:)`` for a mandatory message no queue takes,
    /// ``AMQPError/notFound(replyText:)`` for a missing exchange, ``AMQPError/publishNacked``, or
    /// ``AMQPError/connectionLost(_:)``; in each case the message may not have been stored.
    public func publish(_ message: OutgoingMessage) async throws {
        let start = ContinuousClock.now
        try await withCheckedThrowingContinuation { inbox.submit(.publish(message, $0)) }
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        Self.confirmLatency.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// Publishes `messages` in their order, pipelined, and returns once the broker has confirmed them
    /// all; throws as ``publish(_:)`` at the first failure, after which any of them may or may not
    /// have been stored.
    public func publish(_ messages: [OutgoingMessage]) async throws {
        try await withCheckedThrowingContinuation { inbox.submit(.publishBatch(messages, $0)) }
    }

    /// `mailpool_amqp_publish_confirm_seconds`: from publish to the broker's confirm.
    private static let confirmLatency = Metrics.Timer(label: "mailpool_amqp_publish_confirm_seconds")

    /// Consumes `queue` with manual acknowledgements; the broker hands out at most `prefetch`
    /// deliveries that are not yet settled. A message whose content header announces more than
    /// `maxBodySize` bytes is not assembled: its frames are read and dropped as they arrive, and it is
    /// delivered with an empty body and ``AMQPDelivery/oversizedBody`` set, so that one huge message
    /// never sits in memory.
    public func consume(queue: String, prefetch: UInt16 = 10, maxBodySize: Int? = nil) async throws -> AMQPConsumer {
        precondition(prefetch > 0, "prefetch must be at least 1")
        let registration = ConsumerRegistration(
            tag: "mailpool-\(UUID().uuidString.lowercased())", queue: queue, prefetch: prefetch, maxBodySize: maxBodySize)
        let inbox = self.inbox
        let tag = registration.tag
        registration.continuation.onTermination = { _ in inbox.submit(.cancelConsumer(tag)) }
        try await withCheckedThrowingContinuation { inbox.submit(.consume(registration, $0)) }
        return AMQPConsumer(queue: queue, registration: registration, inbox: inbox)
    }

    /// Closes the connection after outstanding confirms arrive (for at most 5 seconds); consumers end.
    public func close() async {
        await withCheckedContinuation { inbox.submit(.close($0)) }
    }

    /// How many times a connection was established: 1 plus the number of recoveries.
    public var connectionCount: Int { statistics.connectionCount }

    /// Whether the connection to the broker is up now (false while it recovers).
    public var isConnected: Bool { statistics.isConnected }
}
