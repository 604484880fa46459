/// Reads through a queue by moving each message to its tail: consume it, publish the same message to
/// the queue again (or where the caller says), and ack it once that copy is confirmed. After a whole
/// pass the queue holds what it held, in the same order (but for a few copies the consumer received
/// before it stopped, which go back and may come back a little out of order), plus whatever arrived
/// meanwhile. Nothing is held unacked for long, so a pass costs the broker what publishing and
/// consuming cost, whatever the queue holds. (Holding every message and requeueing them all at the
/// end, as a browse with basic.get does, took RabbitMQ 3.10 minutes to requeue 30,000 and slowed a
/// quorum queue pass after pass.) Memory is that of one window of messages.
///
/// A process that dies between a copy's confirm and the original's ack leaves both: the message is
/// then there twice, which the caller's `visit` can recognise (same content) and drop. The pass must
/// be the queue's only consumer: two at once each see part of it.
public struct QueuePass: Sendable {
    /// What becomes of a message read.
    public enum Disposition: Sendable {
        /// Moved to the queue's tail, unchanged.
        case keep
        /// Replaced by `message` (published elsewhere, say): the original is acked once it is confirmed.
        case move(OutgoingMessage)
        /// Acked, nothing published (a duplicate).
        case drop
    }

    public let queue: String
    public let connection: AMQPConnection
    /// Messages published at once, each window confirmed before its originals are acked.
    public let window: Int

    public init(queue: String, connection: AMQPConnection, window: Int = 256) {
        self.queue = queue
        self.connection = connection
        self.window = window
    }

    /// Goes through the messages the queue holds when it starts, in order, calling `visit` for each.
    /// Returns how many were read.
    @discardableResult
    public func run(_ visit: (AMQPDelivery) async throws -> Disposition) async throws -> Int {
        let total = try await connection.queueInfo(queue).messageCount
        guard total > 0 else { return 0 }
        let consumer = try await connection.consume(queue: queue, prefetch: UInt16(clamping: window * 2))
        var read = 0
        var kept = 0
        var batch: [(delivery: AMQPDelivery, copy: OutgoingMessage?)] = []
        var deliveries = consumer.makeAsyncIterator()
        do {
            while read < total, let delivery = try await deliveries.next() {
                read += 1
                switch try await visit(delivery) {
                case .keep:
                    batch.append((delivery, Self.copy(of: delivery, to: queue)))
                    kept += 1
                case .move(let message): batch.append((delivery, message))
                case .drop: batch.append((delivery, nil))
                }
                if batch.count == window {
                    try await settle(batch)
                    batch.removeAll()
                }
            }
            try await settle(batch)
        } catch {
            consumer.cancel()
            throw error
        }
        // Copies this pass published may have been delivered already: cancel first (the connection's
        // thread sends commands in order, so nothing comes after), then give those back, to the head,
        // where they are anyway.
        consumer.cancel()
        var last: AMQPDelivery?
        while let delivery = try await deliveries.next() { last = delivery }
        last?.nack(requeue: true, multiple: true)
        // Giving back is asynchronous, and a copy may reach the consumer just after it stopped (the
        // connection gives that one back by itself): wait until the copies are all ready again, so that
        // the next look at the queue (the next pass, say) counts them.
        let deadline = ContinuousClock.now + .seconds(30)
        while try await connection.queueInfo(queue).messageCount < kept, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        return read
    }

    /// Publishes the batch's copies in order, and once all are confirmed acks the originals.
    private func settle(_ batch: [(delivery: AMQPDelivery, copy: OutgoingMessage?)]) async throws {
        guard !batch.isEmpty else { return }
        try await connection.publish(batch.compactMap(\.copy))
        guard batch.allSatisfy({ $0.delivery.isHeld }) else { throw QueuePassError.interrupted(queue: queue) }
        for (delivery, _) in batch { delivery.ack() }
    }

    private static func copy(of delivery: AMQPDelivery, to queue: String) -> OutgoingMessage {
        OutgoingMessage(exchange: "", routingKey: queue, body: delivery.body, properties: delivery.properties)
    }
}

/// Why a ``QueuePass`` stopped.
public enum QueuePassError: Error, CustomStringConvertible {
    /// The connection was lost part way: the messages not yet acked go back to the queue, and those
    /// whose copy was confirmed are there twice until the next pass drops the copy.
    case interrupted(queue: String)

    public var description: String {
        switch self {
        case .interrupted(let queue):
            "the connection to RabbitMQ was lost while reading \(queue); nothing was lost, run the command again"
        }
    }
}
