/// The deliveries of one queue, as an async sequence. The consumer survives reconnects: after a
/// connection is lost, the broker requeues what was not acknowledged and delivers it again here.
/// The sequence ends with ``AMQPError/consumerCancelled(queue:)`` if the broker cancels the consumer
/// and ends normally after ``cancel()`` or when the connection is closed.
public struct AMQPConsumer: AsyncSequence, Sendable {
    public typealias Element = AMQPDelivery

    /// The queue consumed.
    public let queue: String
    let registration: ConsumerRegistration
    let inbox: CommandInbox

    public func makeAsyncIterator() -> AsyncThrowingStream<AMQPDelivery, any Error>.AsyncIterator {
        registration.stream.makeAsyncIterator()
    }

    /// Stops deliveries (basic.cancel). Deliveries already received can still be settled.
    public func cancel() {
        inbox.submit(.cancelConsumer(registration.tag))
    }
}
