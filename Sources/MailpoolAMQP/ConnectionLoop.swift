import CMailpoolShims
import CRabbitMQ
import FoundationEssentials
import Logging
import MailpoolCore
import Metrics
import Synchronization

/// The thread that owns one rabbitmq-c connection. Everything that touches the connection runs here:
/// commands submitted through the ``CommandInbox``, incoming frames, heartbeats (serviced inside the
/// library calls this loop makes at least every half second) and recovery after the connection is lost.
///
/// Channel layout on every connection: 1 for declarations and other synchronous calls, 2 for publishing
/// in confirm mode, 3 and up for one consumer each, so that an error on one never disturbs the others.
final class ConnectionLoop: @unchecked Sendable {
    static let controlChannel: UInt16 = 1
    static let publishChannel: UInt16 = 2
    static let pollMilliseconds: Int32 = 500

    let options: AMQPConnectionOptions
    let inbox: CommandInbox
    let statistics: ConnectionStatistics
    var logger: Logger

    // State below is confined to the owner thread.
    var session: RabbitSession?
    var topology: Topology
    var consumers: [String: ConsumerRegistration] = [:]
    var consumerOnChannel: [UInt16: ConsumerRegistration] = [:]
    /// Bumped whenever a consumer channel is opened, so settlements for an older channel are refused.
    let channelGeneration = ChannelGenerations()
    var nextGeneration: UInt64 = 1
    /// Consumers registered so far: the next one's ``ConsumerRegistration/order``.
    var registeredConsumers = 0
    var confirms = ConfirmTracker()
    var assembler = ContentAssembler()
    /// Commands that wait for a connection, in submission order.
    var deferred: [ConnectionCommand] = []
    var closeRequests: [CheckedContinuation<Void, Never>?] = []
    private var nextNode = 0

    init(options: AMQPConnectionOptions, topology: Topology, inbox: CommandInbox,
         statistics: ConnectionStatistics, logger: Logger) {
        self.options = options
        self.topology = topology
        self.inbox = inbox
        self.statistics = statistics
        self.logger = logger
        self.logger[metadataKey: "amqp.connection"] = .string(options.connectionName)
    }

    /// Starts the owner thread; `connected` is resumed once the first connection is up, or with the
    /// error of the first attempt (wrong password, unknown vhost, nobody listening), after which the
    /// thread ends.
    func start(connected: CheckedContinuation<Void, any Error>) {
        DedicatedThread.start(name: "amqp-\(options.connectionName)") { [self] in
            do {
                try connect()
            } catch {
                connected.resume(throwing: error)
                shutDown()
                return
            }
            connected.resume()
            run()
        }
    }

    private func run() {
        var failedAttempts = 0
        while closeRequests.isEmpty {
            if session != nil {
                do {
                    try pump()
                } catch {
                    connectionLost(error)
                }
                continue
            }
            sleepWhileDisconnected(seconds: options.reconnectBackoff.delay(forAttempt: failedAttempts))
            guard closeRequests.isEmpty else { break }
            do {
                try connect()
                failedAttempts = 0
            } catch {
                failedAttempts += 1
                // Rate-limited: the first failure, then the 2nd, 4th, 8th ...
                if failedAttempts & (failedAttempts - 1) == 0 {
                    logger.warning("reconnect failed", metadata: ["attempt": "\(failedAttempts)", "error": "\(error)"])
                }
            }
        }
        shutDown()
    }

    /// Handles the frames already received, at most `limit`; returns how many there were.
    func readFrames(_ session: RabbitSession, limit: Int) throws(AMQPError) -> Int {
        var frames = 0
        var bodyBytes = 0
        while frames < limit, let frame = try session.nextFrame() {
            try handle(frame)
            frames += 1
            if Int32(frame.frame_type) == AMQP_FRAME_BODY { bodyBytes += frame.payload.body_fragment.len }
            if bodyBytes >= 1 << 20 {
                // rabbitmq-c keeps every frame read until its buffers are released: without this, a
                // 30 MB message would sit in its pool whole even when the consumer drops it.
                session.releaseBuffers()
                bodyBytes = 0
            }
        }
        session.releaseBuffers()
        return frames
    }

    /// One round: run waiting commands, take the frames that are ready, and sleep in `poll` only when
    /// there was nothing to do.
    private func pump() throws(AMQPError) {
        guard let session else { return }
        let commands = deferred + inbox.drain()
        deferred.removeAll()
        try execute(commands)
        let frames = try readFrames(session, limit: 1024)
        // Nothing read: sleep until the socket or the inbox has something, also when commands wait
        // for a message to arrive whole (``execute(_:)``).
        if frames == 0 && (commands.isEmpty || assembler.isAssembling) {
            inbox.wait(milliseconds: Self.pollMilliseconds, orReadable: session.socketDescriptor)
        }
    }

    /// Tries each node once, starting with the one that worked last (after a lost connection, the
    /// one after it: see ``connectionLost(_:)``); sets up channels, topology and consumers on the
    /// first that accepts.
    private func connect() throws(AMQPError) {
        var lastError = AMQPError.connectionRefused(endpoint: "", detail: "no broker URL configured")
        for offset in 0..<options.urls.count {
            let index = (nextNode + offset) % options.urls.count
            do throws(AMQPError) {
                let session = try RabbitSession(url: options.urls[index], options: options)
                nextNode = index
                do throws(AMQPError) {
                    try setUp(session)
                } catch {
                    self.session = nil
                    throw error
                }
                return
            } catch {
                lastError = error
                logger.debug("cannot connect", metadata: ["endpoint": "\(options.urls[index].endpoint)", "error": "\(error)"])
            }
        }
        throw lastError
    }

    private func setUp(_ session: RabbitSession) throws(AMQPError) {
        try session.openChannel(Self.controlChannel)
        try session.openChannel(Self.publishChannel)
        try session.selectConfirms(Self.publishChannel)
        self.session = session
        do {
            try session.declare(topology, on: Self.controlChannel)
        } catch .connectionLost(let reason) {
            throw .connectionLost(reason)
        } catch {
            // The topology was declared before, so a mismatch now means someone changed it on the
            // broker; keep serving what still works and say so.
            logger.error("cannot declare the topology again", metadata: ["error": "\(error)"])
        }
        for registration in consumers.values.sorted(by: { $0.order < $1.order }) {
            try startConsuming(registration)
        }
        statistics.connected(name: options.connectionName)
        logger.info("connected", metadata: ["endpoint": "\(session.url.endpoint)"])
    }

    /// Drops the dead connection: unconfirmed publishes fail (the caller decides whether to publish
    /// again), consumers wait for the next connection, where the broker redelivers what was unacked.
    /// The node it was on is tried last: a node that is frozen or cut off still completes TCP's
    /// handshake (or never answers it) and then says nothing, so trying it first would cost the whole
    /// connect timeout before the next node, while one that was stopped refuses at once either way.
    private func connectionLost(_ error: AMQPError) {
        logger.warning("connection lost", metadata: ["error": "\(error)"])
        statistics.disconnected()
        nextNode = (nextNode + 1) % options.urls.count
        session = nil
        // Before the publishes fail: a caller that learns of the loss from its publish must find its
        // deliveries no longer held (``AMQPDelivery/isHeld``).
        channelGeneration.removeAll()
        confirms.failAll(error)
        assembler.reset()
        consumerOnChannel.removeAll()
        for registration in consumers.values { registration.channel = 0 }
    }

    private func sleepWhileDisconnected(seconds: Double) {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while closeRequests.isEmpty {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { return }
            let (whole, attoseconds) = remaining.components
            inbox.wait(milliseconds: Int32(whole * 1000 + attoseconds / 1_000_000_000_000_000 + 1))
            holdWhileDisconnected(inbox.drain())
        }
    }

    /// Ends the loop: waits briefly for outstanding confirms, closes the connection, and fails
    /// everything still waiting with ``AMQPError/closed``.
    private func shutDown() {
        let deadline = ContinuousClock.now + .seconds(5)
        while let session, confirms.inFlight > 0, ContinuousClock.now < deadline {
            do {
                while let frame = try session.nextFrame() { try handle(frame) }
                inbox.wait(milliseconds: 50, orReadable: session.socketDescriptor)
            } catch {
                break
            }
        }
        session?.close()
        session = nil
        confirms.failAll(.closed)
        for registration in consumers.values { registration.continuation.finish() }
        consumers.removeAll()
        for command in deferred + inbox.shutDown() { command.fail(.closed) }
        deferred.removeAll()
        for request in closeRequests { request?.resume() }
        closeRequests.removeAll()
    }
}

/// Counters a connection keeps about itself, readable from any thread.
final class ConnectionStatistics: Sendable {
    private let connections = Atomic<Int>(0)
    private let up = Atomic<Bool>(false)

    /// A connection was established; after the first, that is a reconnect
    /// (`mailpool_amqp_reconnects_total{connection}`, exported at 0 from the first connection on). The
    /// label is the name's part before any ` (`: `mailpool-fetch-worker`, not the host and pid.
    func connected(name: String) {
        let label = name.firstRange(of: " (").map { String(name[..<$0.lowerBound]) } ?? name
        let reconnects = Counter(label: "mailpool_amqp_reconnects_total", dimensions: [("connection", label)])
        if connections.add(1, ordering: .relaxed).newValue > 1 { reconnects.increment() }
        up.store(true, ordering: .relaxed)
    }

    func disconnected() {
        up.store(false, ordering: .relaxed)
    }

    /// Whether the connection is up now.
    var isConnected: Bool { up.load(ordering: .relaxed) }

    /// How many times a connection was established (1 + the number of recoveries).
    var connectionCount: Int { connections.load(ordering: .relaxed) }
}
