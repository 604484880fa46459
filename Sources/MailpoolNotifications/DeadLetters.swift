import Foundation
import MailpoolAMQP
import Synchronization

/// Operator tooling for `mailpool.notifications.dead`: read through the dead letters, replay some to
/// the work queue (with a publisher confirm, then an ack, so nothing is lost in the move), and purge.
///
/// Reading goes through the queue with basic.get, holding every message unacked and giving them all
/// back with one requeue per reader at the end: nothing is removed, nothing is copied, and memory stays
/// that of a message per reader whatever the queue holds (a consumer's prefetch, at most 65,535, would
/// stop there). A quorum queue answers each basic.get after a Raft commit, about 3 ms here; the readers,
/// one per connection, wait for theirs together, so the broker commits them in batches. A lost
/// connection gives every message its reader held back to the queue by itself.
public struct DeadLetters: Sendable {
    let connections: [AMQPConnection]

    /// Reads with one reader.
    public init(connection: AMQPConnection) {
        self.init(connections: [connection])
    }

    /// Reads with one reader per connection (at least one).
    public init(connections: [AMQPConnection]) {
        precondition(!connections.isEmpty, "at least one connection")
        self.connections = connections
    }

    /// Reads the dead letters that are there when it starts, in queue order give or take the readers
    /// working at once, and hands `each` those `filter` matches; stops after `limit` read when given.
    /// They all stay in the queue. Returns how many were read and how many the queue held.
    @discardableResult
    public func forEach(matching filter: DeadLetterFilter = DeadLetterFilter(), limit: Int? = nil,
                        _ each: (DeadLetterEntry) throws -> Void) async throws -> (read: Int, total: Int) {
        let (entries, output) = AsyncThrowingStream.makeStream(of: DeadLetterEntry.self)
        let total = try await connections[0].queueInfo(NotificationNames.deadQueue).messageCount
        let reading = Task {
            do {
                let read = try await pass(total: total, limit: limit) { delivery, _ in
                    let entry = DeadLetterEntry(delivery)
                    if filter.matches(entry) { output.yield(entry) }
                    return false
                }
                output.finish()
                return read
            } catch {
                output.finish(throwing: error)
                throw error
            }
        }
        for try await entry in entries { try each(entry) }
        return (try await reading.value, total)
    }

    /// The dead letters `filter` matches (kept in memory: for small queues and tests).
    public func list(matching filter: DeadLetterFilter = DeadLetterFilter()) async throws -> [DeadLetterEntry] {
        var entries: [DeadLetterEntry] = []
        try await forEach(matching: filter) { entries.append($0) }
        return entries
    }

    /// Replays the dead letters `filter` matches to the work queue with their attempt history cleared;
    /// returns how many. Each is acked only after its copy is confirmed. A replayed notification is sent
    /// even if its ID is in the dedupe record.
    @discardableResult
    public func replay(matching filter: DeadLetterFilter = DeadLetterFilter()) async throws -> Int {
        let replayed = Tally(0)
        let total = try await connections[0].queueInfo(NotificationNames.deadQueue).messageCount
        try await pass(total: total, limit: nil) { delivery, connection in
            guard filter.matches(DeadLetterEntry(delivery)) else { return false }
            try await connection.publish(Self.replayed(delivery))
            delivery.ack()
            replayed.add(1)
            return true
        }
        return replayed.value
    }

    /// Deletes every dead letter; returns how many.
    @discardableResult
    public func purge() async throws -> Int {
        try await connections[0].purgeQueue(NotificationNames.deadQueue)
    }

    /// The work-queue copy of a dead letter: same body and properties, attempt history cleared.
    private static func replayed(_ delivery: AMQPDelivery) -> OutgoingMessage {
        var properties = delivery.properties
        for header in [NotificationNames.Header.attempts, NotificationNames.Header.errors, NotificationNames.Header.firstError,
                       NotificationNames.Header.lastError, NotificationNames.Header.firstFailedAt,
                       NotificationNames.Header.lastFailedAt, NotificationNames.Header.deadReason, NotificationNames.Header.deadAt,
                       NotificationNames.Header.account,
                       "x-death", "x-first-death-reason", "x-first-death-queue", "x-first-death-exchange",
                       "x-last-death-reason", "x-last-death-queue", "x-last-death-exchange"] {
            properties.headers[header] = nil
        }
        properties.headers[NotificationNames.Header.replayed] = .bool(true)
        return OutgoingMessage(exchange: "", routingKey: NotificationNames.queue, body: delivery.body, properties: properties)
    }

    /// One pass: every reader takes messages one by one, holding each, until `min(total, limit)` are
    /// taken or the queue has none ready. Those `take` returns true for it has settled; once every
    /// reader is done (so that none takes a message another gave back) each gives the rest back with one
    /// requeue. Returns how many were read.
    private func pass(total: Int, limit: Int?,
                      _ take: @escaping @Sendable (AMQPDelivery, AMQPConnection) async throws -> Bool) async throws -> Int {
        let left = Tally(min(total, limit ?? total))
        let readers = try await withThrowingTaskGroup(of: Reader.self) { group in
            for connection in connections {
                group.addTask {
                    var reader = Reader()
                    while left.takeOne(),
                          let delivery = try await connection.get(from: NotificationNames.deadQueue) {
                        reader.read += 1
                        if try await !take(delivery, connection) {
                            reader.lastKept = delivery
                            reader.kept += 1
                        }
                    }
                    return reader
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        guard readers.allSatisfy({ $0.lastKept?.isHeld ?? true }) else { throw DeadLetterError.interrupted }
        for reader in readers { reader.lastKept?.nack(requeue: true, multiple: true) }
        // Settling is asynchronous: wait until the kept messages are ready again, so that the next look
        // at the queue sees them all.
        let read = readers.reduce(0) { $0 + $1.read }, kept = readers.reduce(0) { $0 + $1.kept }
        let deadline = ContinuousClock.now + .seconds(30)
        while try await connections[0].queueInfo(NotificationNames.deadQueue).messageCount < total - read + kept,
              ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        return read
    }

    /// A count shared by the readers.
    private final class Tally: Sendable {
        private let count: Mutex<Int>

        init(_ count: Int) {
            self.count = Mutex(count)
        }

        var value: Int { count.withLock { $0 } }

        func add(_ amount: Int) {
            count.withLock { $0 += amount }
        }

        /// Takes one if any is left.
        func takeOne() -> Bool {
            count.withLock { count in
                guard count > 0 else { return false }
                count -= 1
                return true
            }
        }
    }

    /// What one reader did: how many it read and kept (held, to give back), and the last one kept.
    private struct Reader: Sendable {
        var read = 0
        var kept = 0
        var lastKept: AMQPDelivery?
    }
}

/// Why going through the dead letters stopped.
public enum DeadLetterError: Error, CustomStringConvertible {
    /// The connection was lost part way; the broker put every held dead letter back.
    case interrupted

    public var description: String {
        "the connection to RabbitMQ was lost while reading the dead letters; they are all still there, run the command again"
    }
}
