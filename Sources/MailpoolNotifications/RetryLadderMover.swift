import FoundationEssentials
import Logging
import MailpoolAMQP
import MailpoolPipeline
import ServiceLifecycle

/// Moves the notifications waiting on one step of the retry ladder back to the work queue when their
/// time comes.
///
/// A step is a quorum queue, replicated like the work queue, so a broker node lost with its disk loses
/// no waiting notification. RabbitMQ 3.10's quorum queues expire messages by TTL only when something
/// reads the queue, so the workers keep the delay: each notification worker consumes every step and
/// holds a message until the time in its ``NotificationNames/Header/dueAt`` header, then publishes it
/// to the work queue (confirmed) and acks it. Every message of a step waits the same delay, so a
/// step's queue is in order of due time and the few a worker holds (`prefetch`) are the next ones due.
/// A message due later than `holdLimit` from now is given back at that limit and taken again, so that
/// no delivery stays unacknowledged past the broker's consumer timeout (30 minutes by default). On a
/// graceful shutdown every message not yet due is given back at once.
///
/// Why a move cannot send a notification twice: it publishes a copy to the work queue and acks the
/// held message only once the copy is confirmed. If that ack is lost (the connection drops), the held
/// message comes back and is moved again, so the work queue may get a second copy, which is sent only
/// after the sender has found out whether an earlier attempt got through: its attempt count is above
/// zero, as every copy that went through the ladder.
struct RetryLadderMover: Sendable {
    let connection: AMQPConnection
    let step: String
    let prefetch: UInt16
    let holdLimit: Double
    let logger: Logger

    /// Starts consuming the step; ``run(_:)`` then moves what it receives.
    func consume() async throws -> AMQPConsumer {
        try await connection.consume(queue: step, prefetch: prefetch)
    }

    func run(_ consumer: AMQPConsumer) async throws {
        try await consumer.handleConcurrently(move)
    }

    private func move(_ delivery: AMQPDelivery) async {
        let due = delivery.properties.headers[NotificationNames.Header.dueAt]?.intValue.map { Double($0) / 1000 } ?? 0
        let wait = due - Date().timeIntervalSince1970
        if wait > 0 {
            let held: Void? = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(min(wait, holdLimit))) }
            guard held != nil, wait <= holdLimit else {
                delivery.nack(requeue: true)   // shutting down, or due after the hold limit: taken again
                return
            }
        }
        var properties = delivery.properties
        properties.headers[NotificationNames.Header.dueAt] = nil
        do {
            try await connection.publish(OutgoingMessage(exchange: "", routingKey: NotificationNames.queue,
                                                         body: delivery.body, properties: properties))
            delivery.ack()
        } catch {
            logger.error("cannot move a notification back from the retry ladder; trying again in a second",
                         metadata: ["queue": "\(step)", "error": "\(error)"])
            try? await Task.sleep(for: .seconds(1))
            delivery.nack(requeue: true)
        }
    }
}
