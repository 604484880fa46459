/// A message received by a consumer. Settle it exactly once with ``ack()``, ``nack(requeue:)`` or
/// ``reject(requeue:)``; until then it counts against the consumer's prefetch.
public struct AMQPDelivery: Sendable {
    public let body: [UInt8]
    public let properties: AMQPProperties
    public let exchange: String
    public let routingKey: String
    /// True when the broker delivered this message before (to this or another consumer).
    public let redelivered: Bool
    let receipt: DeliveryReceipt
    let inbox: CommandInbox

    /// Tells the broker the message is handled; it is removed from the queue.
    public func ack() async throws {
        try await settle(.ack)
    }

    /// Negative acknowledgement: with `requeue` the broker delivers the message again, otherwise it
    /// is dead-lettered (or dropped when the queue has no dead-letter exchange).
    public func nack(requeue: Bool) async throws {
        try await settle(.nack(requeue: requeue))
    }

    /// Rejects the message; as ``nack(requeue:)`` for a single message.
    public func reject(requeue: Bool) async throws {
        try await settle(.reject(requeue: requeue))
    }

    private func settle(_ settlement: Settlement) async throws {
        try await withCheckedThrowingContinuation { continuation in
            inbox.submit(.settle(receipt, settlement, continuation))
        }
    }
}

/// Identifies a delivery on the channel that carried it. `generation` changes whenever the channel is
/// opened again, so that a tag from a closed channel is never sent on its successor.
struct DeliveryReceipt: Sendable {
    let channel: UInt16
    let generation: UInt64
    let deliveryTag: UInt64
}
