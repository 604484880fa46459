import FoundationEssentials
import MailpoolCore
import MailpoolAMQP

/// Operator tooling for `mailpool.notifications.dead`: read through the dead letters (a ``QueuePass``,
/// which moves each to the tail: nothing removed, memory of one window), replay some to the work queue
/// (each replay copy confirmed before its dead letter is acked, so nothing is lost in the move), and
/// purge. A pass drops a dead letter it has already seen in the same pass (same body, ID, reason,
/// attempts and time of death): the copy a pass interrupted between publishing and acking leaves.
public struct DeadLetters: Sendable {
    let connection: AMQPConnection

    public init(connection: AMQPConnection) {
        self.connection = connection
    }

    /// Reads every dead letter that is there when it starts, oldest first, and hands `each` those
    /// `filter` matches. They all stay in the queue, in their order. Returns how many were read.
    @discardableResult
    public func forEach(matching filter: DeadLetterFilter = DeadLetterFilter(),
                        _ each: (DeadLetterEntry) throws -> Void) async throws -> Int {
        var seen = Set<DeadLetterFingerprint>()
        return try await QueuePass(queue: NotificationNames.deadQueue, connection: connection).run { delivery in
            guard seen.insert(DeadLetterFingerprint(delivery)).inserted else { return .drop }
            let entry = DeadLetterEntry(delivery)
            if filter.matches(entry) { try each(entry) }
            return .keep
        }
    }

    /// The dead letters `filter` matches (kept in memory: for small queues and tests).
    public func list(matching filter: DeadLetterFilter = DeadLetterFilter()) async throws -> [DeadLetterEntry] {
        var entries: [DeadLetterEntry] = []
        try await forEach(matching: filter) { entries.append($0) }
        return entries
    }

    /// Replays the dead letters `filter` matches to the work queue with their attempt history cleared;
    /// returns how many. A replayed notification is sent even if its ID is in the dedupe record.
    @discardableResult
    public func replay(matching filter: DeadLetterFilter = DeadLetterFilter()) async throws -> Int {
        var seen = Set<DeadLetterFingerprint>()
        var replayed = 0
        try await QueuePass(queue: NotificationNames.deadQueue, connection: connection).run { delivery in
            guard seen.insert(DeadLetterFingerprint(delivery)).inserted else { return .drop }
            guard filter.matches(DeadLetterEntry(delivery)) else { return .keep }
            replayed += 1
            return .move(Self.replayed(delivery))
        }
        return replayed
    }

    /// Deletes every dead letter; returns how many.
    @discardableResult
    public func purge() async throws -> Int {
        try await connection.purgeQueue(NotificationNames.deadQueue)
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
}

/// A dead letter's identity for spotting the duplicate an interrupted pass leaves: SHA-256 of its body,
/// ID, reason, attempts and time of death, which a copy shares and two different dead letters do not
/// (32 bytes kept per dead letter in a pass).
struct DeadLetterFingerprint: Hashable {
    let digest: [UInt8]

    init(_ delivery: AMQPDelivery) {
        let headers = delivery.properties.headers
        let death = headers["x-death"]?.arrayValue?.first?.tableValue?["time"]?.intValue
        let identity = [delivery.properties.messageID ?? "", headers[NotificationNames.Header.deadReason]?.stringValue ?? "",
                        headers[NotificationNames.Header.deadAt]?.stringValue ?? "", "\(death ?? 0)",
                        "\(headers[NotificationNames.Header.attempts]?.intValue ?? 0)"].joined(separator: "\u{0}")
        let hash = MessageDigest()
        hash.update(delivery.body)
        hash.update(identity.utf8)
        digest = hash.finalize()
    }
}
