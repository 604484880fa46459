import Foundation
import MailpoolAMQP
import Synchronization

/// Operator tooling for `mailpool.notifications.dead`: read through the dead letters (a ``QueuePass``:
/// nothing removed, memory of a message per reader), replay some to the work queue (with a publisher
/// confirm, then an ack, so nothing is lost in the move), and purge.
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
        let pass = QueuePass(queue: NotificationNames.deadQueue, connections: connections)
        let reading = Task {
            do {
                let counts = try await pass.run(limit: limit) { delivery, _ in
                    let entry = DeadLetterEntry(delivery)
                    if filter.matches(entry) { output.yield(entry) }
                    return false
                }
                output.finish()
                return counts
            } catch {
                output.finish(throwing: error)
                throw error
            }
        }
        for try await entry in entries { try each(entry) }
        return try await reading.value
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
        let replayed = Counter()
        try await QueuePass(queue: NotificationNames.deadQueue, connections: connections).run { delivery, connection in
            guard filter.matches(DeadLetterEntry(delivery)) else { return false }
            try await connection.publish(Self.replayed(delivery))
            delivery.ack()
            replayed.add()
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

    /// How many were replayed, counted by the readers.
    private final class Counter: Sendable {
        private let count = Mutex(0)

        var value: Int { count.withLock { $0 } }

        func add() {
            count.withLock { $0 += 1 }
        }
    }
}
