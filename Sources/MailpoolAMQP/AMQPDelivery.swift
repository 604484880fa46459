/// A message received by a consumer. Settle it exactly once with ``ack()``, ``nack(requeue:)`` or
/// ``reject(requeue:)``; until then it counts against the consumer's prefetch.
///
/// Settling never waits: it is queued to the connection's thread and sent in order, before anything
/// submitted later (a close included). If the delivery's channel has closed in the meantime, the
/// settlement is dropped, because the broker has already put the message back for redelivery.
public struct AMQPDelivery: Sendable {
    public let body: [UInt8]
    /// The announced body size when it exceeded the consumer's `maxBodySize`: the body was dropped
    /// unread and ``body`` is empty.
    public let oversizedBody: Int?
    public let properties: AMQPProperties
    public let exchange: String
    public let routingKey: String
    /// True when the broker delivered this message before (to this or another consumer).
    public let redelivered: Bool
    let receipt: DeliveryReceipt
    let inbox: CommandInbox
    let generations: ChannelGenerations

    /// True while the channel that carried this delivery is open. Once it closed (with its connection,
    /// say) the broker has put the message back for redelivery, perhaps to another worker, and any
    /// settlement of this copy is dropped: work on it that is not yet done should stop.
    public var isHeld: Bool { generations.current(receipt.channel) == receipt.generation }

    /// Tells deliveries apart: unique per channel opening and delivery tag.
    public var deliveryID: String { "\(receipt.channel).\(receipt.generation).\(receipt.deliveryTag)" }

    /// Tells the broker the message is handled; it is removed from the queue.
    public func ack() {
        inbox.submit(.settle(receipt, .ack))
    }

    /// Negative acknowledgement: with `requeue` the broker delivers the message again, otherwise it
    /// is dead-lettered (or dropped when the queue has no dead-letter exchange). With `multiple`, every
    /// earlier delivery of the same channel not yet settled is settled the same way, in one frame.
    public func nack(requeue: Bool, multiple: Bool = false) {
        inbox.submit(.settle(receipt, .nack(requeue: requeue, multiple: multiple)))
    }

    /// Rejects the message; as ``nack(requeue:)`` for a single message.
    public func reject(requeue: Bool) {
        inbox.submit(.settle(receipt, .reject(requeue: requeue)))
    }
}

/// Identifies a delivery on the channel that carried it. `generation` changes whenever the channel is
/// opened again, so that a tag from a closed channel is never sent on its successor.
struct DeliveryReceipt: Sendable {
    let channel: UInt16
    let generation: UInt64
    let deliveryTag: UInt64
}
