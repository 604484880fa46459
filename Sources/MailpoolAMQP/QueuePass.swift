import Synchronization

/// Reads through a queue with basic.get, one reader per connection, holding every message unacked and
/// giving back the ones not taken with one requeue per reader at the end: nothing is removed unless a
/// reader takes it, nothing is copied, and memory stays that of a message per reader whatever the
/// queue holds (a consumer's prefetch, at most 65,535, would stop there). A quorum queue answers each
/// basic.get after a Raft commit, about 3 ms here; readers on separate connections wait for theirs
/// together, so the broker commits them in batches. A lost connection gives every message its reader
/// held back to the queue by itself.
public struct QueuePass: Sendable {
    public let queue: String
    public let connections: [AMQPConnection]

    /// Reads `queue` with one reader per connection (at least one).
    public init(queue: String, connections: [AMQPConnection]) {
        precondition(!connections.isEmpty, "at least one connection")
        self.queue = queue
        self.connections = connections
    }

    /// Goes through the messages the queue holds when it starts (at most `limit`), in queue order give
    /// or take the readers working at once. A message `take` returns true for is the caller's to settle
    /// (on the connection given with it); the others go back once every reader is done, so that none
    /// takes a message another gave back. Returns how many were read and how many the queue held.
    @discardableResult
    public func run(limit: Int? = nil,
                    _ take: @escaping @Sendable (AMQPDelivery, AMQPConnection) async throws -> Bool) async throws -> (read: Int, total: Int) {
        let total = try await connections[0].queueInfo(queue).messageCount
        let left = Tally(min(total, limit ?? total))
        let readers = try await withThrowingTaskGroup(of: Reader.self) { group in
            for connection in connections {
                group.addTask { [queue] in
                    var reader = Reader()
                    while left.takeOne(), let delivery = try await connection.get(from: queue) {
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
        guard readers.allSatisfy({ $0.lastKept?.isHeld ?? true }) else { throw QueuePassError.interrupted(queue: queue) }
        for reader in readers { reader.lastKept?.nack(requeue: true, multiple: true) }
        // Settling is asynchronous: wait until the kept messages are ready again, so that the next look
        // at the queue sees them all.
        let read = readers.reduce(0) { $0 + $1.read }, kept = readers.reduce(0) { $0 + $1.kept }
        let deadline = ContinuousClock.now + .seconds(30)
        while try await connections[0].queueInfo(queue).messageCount < total - read + kept, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        return (read, total)
    }

    /// What one reader did: how many it read and kept (held, to give back), and the last one kept.
    private struct Reader: Sendable {
        var read = 0
        var kept = 0
        var lastKept: AMQPDelivery?
    }

    /// How many messages are left to read, shared by the readers.
    private final class Tally: Sendable {
        private let count: Mutex<Int>

        init(_ count: Int) {
            self.count = Mutex(count)
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
}

/// Why a ``QueuePass`` stopped.
public enum QueuePassError: Error, CustomStringConvertible {
    /// The connection was lost part way; the broker put every held message back.
    case interrupted(queue: String)

    public var description: String {
        switch self {
        case .interrupted(let queue):
            "the connection to RabbitMQ was lost while reading \(queue); every message is still there, run the command again"
        }
    }
}
