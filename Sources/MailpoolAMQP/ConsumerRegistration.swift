/// A consumer as the owner thread keeps it, so that it can be set up again after a reconnect.
/// The mutable fields are touched only on the connection's owner thread.
final class ConsumerRegistration: @unchecked Sendable {
    let tag: String
    let queue: String
    let prefetch: UInt16
    /// Larger bodies are dropped unread (see ``AMQPConnection/consume(queue:prefetch:maxBodySize:)``).
    let maxBodySize: Int?
    let stream: AsyncThrowingStream<AMQPDelivery, any Error>
    let continuation: AsyncThrowingStream<AMQPDelivery, any Error>.Continuation
    /// The channel carrying this consumer on the current connection, 0 while not consuming.
    var channel: UInt16 = 0
    var cancelled = false
    /// When it was registered on its connection: after a reconnect consumers start again in this order,
    /// so that the one its owner started last (the one whose messages may be large) is again last.
    var order = 0

    init(tag: String, queue: String, prefetch: UInt16, maxBodySize: Int? = nil) {
        self.tag = tag
        self.queue = queue
        self.prefetch = prefetch
        self.maxBodySize = maxBodySize
        (stream, continuation) = AsyncThrowingStream.makeStream(bufferingPolicy: .unbounded)
    }
}
