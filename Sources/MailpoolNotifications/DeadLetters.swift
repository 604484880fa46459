import Foundation
import MailpoolAMQP

/// Operator tooling for `mailpool.notifications.dead`: list and show what is there and why, replay
/// messages to the work queue (with a publisher confirm, then an ack, so nothing is lost in the move),
/// and purge.
public struct DeadLetters: Sendable {
    /// A dead-lettered notification as operators see it.
    public struct Entry: Sendable {
        public let id: String
        public let reason: String
        public let attempts: Int
        public let firstError: String?
        public let lastError: String?
        public let deadAt: String?
        public let errors: [String]
        public let body: [UInt8]
    }

    let connection: AMQPConnection

    public init(connection: AMQPConnection) {
        self.connection = connection
    }

    /// Every dead letter, oldest first. They stay in the queue.
    public func list() async throws -> [Entry] {
        try await visit { _ in false }.seen.map(Self.entry)
    }

    /// Replays the dead letters `selected` chooses (all when nil) to the work queue with their attempt
    /// history cleared; returns how many.
    @discardableResult
    public func replay(where selected: (@Sendable (Entry) -> Bool)? = nil) async throws -> Int {
        try await visit { delivery in
            guard selected?(Self.entry(delivery)) ?? true else { return false }
            var properties = delivery.properties
            for header in [NotificationNames.Header.attempts, NotificationNames.Header.errors, NotificationNames.Header.firstError,
                           NotificationNames.Header.lastError, NotificationNames.Header.firstFailedAt,
                           NotificationNames.Header.lastFailedAt, NotificationNames.Header.deadReason, NotificationNames.Header.deadAt,
                           "x-death", "x-first-death-reason", "x-first-death-queue", "x-first-death-exchange",
                           "x-last-death-reason", "x-last-death-queue", "x-last-death-exchange"] {
                properties.headers[header] = nil
            }
            properties.headers[NotificationNames.Header.replayed] = .bool(true)
            try await connection.publish(OutgoingMessage(exchange: "", routingKey: NotificationNames.queue, body: delivery.body,
                                                         properties: properties))
            return true
        }.taken.count
    }

    /// Deletes every dead letter; returns how many.
    @discardableResult
    public func purge() async throws -> Int {
        try await connection.purgeQueue(NotificationNames.deadQueue)
    }

    /// Goes through every message in the dead-letter queue: those `take` returns true for are acked
    /// (removed), the others are put back. Returns all seen, and which were taken.
    private func visit(_ take: @Sendable (AMQPDelivery) async throws -> Bool) async throws -> (seen: [AMQPDelivery], taken: [AMQPDelivery]) {
        let count = try await connection.queueInfo(NotificationNames.deadQueue).messageCount
        guard count > 0 else { return ([], []) }
        let consumer = try await connection.consume(queue: NotificationNames.deadQueue, prefetch: UInt16(min(count, 10_000)))
        var seen: [AMQPDelivery] = []
        var taken: [AMQPDelivery] = []
        for try await delivery in consumer {
            seen.append(delivery)
            if try await take(delivery) {
                taken.append(delivery)
                delivery.ack()
            }
            if seen.count == count { break }
        }
        // Cancel first: the owner thread sends commands in order, so the broker stops delivering to this
        // consumer before the put-back messages are ready again.
        consumer.cancel()
        for delivery in seen where !taken.contains(where: { $0.deliveryID == delivery.deliveryID }) {
            delivery.nack(requeue: true)
        }
        // Settling is asynchronous: wait until the put-back messages are ready again, so that the next
        // look at the queue sees them all.
        let deadline = ContinuousClock.now + .seconds(5)
        while try await connection.queueInfo(NotificationNames.deadQueue).messageCount < seen.count - taken.count,
              ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        return (seen, taken)
    }

    /// The reason of a message the broker dead-lettered (its `x-first-death-reason`): `delivery_limit`
    /// when workers kept dying or losing their connection holding it, `rejected` when a worker refused
    /// it unread for its size.
    private static func brokerReason(_ headers: AMQPTable) -> String {
        switch headers["x-first-death-reason"]?.stringValue {
        case "delivery_limit": "delivery-limit: delivered up to the work queue's delivery limit and never settled (a worker died or lost its connection each time)"
        case "rejected": "oversized: refused unread, the body is over the worker's size limit"
        case let other?: other
        case nil: "-"
        }
    }

    static func entry(_ delivery: AMQPDelivery) -> Entry {
        let headers = delivery.properties.headers
        return Entry(
            id: delivery.properties.messageID ?? (try? JSONDecoder().decode(NotificationRequest.self, from: Data(delivery.body)))?.id ?? "-",
            reason: headers[NotificationNames.Header.deadReason]?.stringValue ?? brokerReason(headers),
            attempts: Int(headers[NotificationNames.Header.attempts]?.intValue ?? 0),
            firstError: headers[NotificationNames.Header.firstError]?.stringValue,
            lastError: headers[NotificationNames.Header.lastError]?.stringValue,
            deadAt: headers[NotificationNames.Header.deadAt]?.stringValue,
            errors: headers[NotificationNames.Header.errors]?.arrayValue?.compactMap(\.stringValue) ?? [],
            body: delivery.body)
    }
}
