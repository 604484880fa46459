import Foundation
import MailpoolAMQP

/// Keeps each sender mailbox within Exchange Online's 30 messages per minute across the whole pool,
/// using the broker as the shared counter: a send takes a slot by publishing a token to the sender's
/// queue, a classic queue of at most `perMinute` messages that refuses more (`reject-publish`) and
/// expires each after a minute — a sliding window. A refused token means the window is full: the
/// notification waits here (it stays unacknowledged, so the broker keeps it) instead of being throttled.
public actor SendRateLimiter {
    let connection: AMQPConnection
    let perMinute: Int
    let window: Double
    private var declared: Set<String> = []

    public init(connection: AMQPConnection, perMinute: Int = 30, windowSeconds: Double = 60) {
        self.connection = connection
        self.perMinute = perMinute
        self.window = windowSeconds
    }

    /// Waits until `sender` may send one more message, and takes that slot.
    public func acquire(sender: String) async throws {
        let queue = NotificationNames.rateQueue(sender: sender)
        if !declared.contains(queue) {
            try await connection.declare(Topology(queues: [QueueSpec(name: queue, arguments: [
                "x-queue-type": "classic", "x-max-length": .int(Int64(perMinute)), "x-overflow": "reject-publish",
                "x-message-ttl": .int(Int64(window * 1000)),
            ])]))
            declared.insert(queue)
        }
        while true {
            do {
                try await connection.publish(OutgoingMessage(exchange: "", routingKey: queue, body: [],
                                                             properties: AMQPProperties(persistent: false)))
                return
            } catch AMQPError.publishNacked {
                try await Task.sleep(for: .milliseconds(Int(window * 1000 / Double(perMinute))))
            }
        }
    }
}
