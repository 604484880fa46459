import CMailpoolShims
import CRabbitMQ

/// Reassembles messages from the frames that carry them (a basic.deliver or basic.return method,
/// then a content header, then body frames), one message at a time per channel.
struct ContentAssembler {
    enum Origin {
        case delivery(deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String)
        case returned(replyCode: UInt16, replyText: String)
    }

    struct Content {
        let channel: UInt16
        let origin: Origin
        let properties: AMQPProperties
        let body: [UInt8]
        /// The announced size of a body over the limit, which was dropped (``body`` is then empty).
        let oversizedBody: Int?
    }

    private struct Partial {
        let origin: Origin
        let bodyLimit: Int?
        var properties = AMQPProperties()
        var expected = 0
        var received = 0
        var body: [UInt8] = []
        var headerSeen = false
        var dropping: Bool { bodyLimit.map { expected > $0 } ?? false }
    }

    private var partial: [UInt16: Partial] = [:]

    /// Starts a message; a body announced larger than `bodyLimit` is counted but not kept.
    mutating func begin(_ origin: Origin, channel: UInt16, bodyLimit: Int? = nil) {
        partial[channel] = Partial(origin: origin, bodyLimit: bodyLimit)
    }

    /// Handles a header or body frame; returns the message once its last byte has arrived.
    mutating func add(_ frame: amqp_frame_t) throws(AMQPError) -> Content? {
        guard var message = partial[frame.channel] else {
            throw .protocolError("content frame without a method on channel \(frame.channel)")
        }
        switch Int32(frame.frame_type) {
        case AMQP_FRAME_HEADER:
            let header = frame.payload.properties
            message.properties = AMQPProperties(
                header.decoded.assumingMemoryBound(to: amqp_basic_properties_t.self).pointee)
            message.expected = Int(header.body_size)
            if !message.dropping { message.body.reserveCapacity(message.expected) }
            message.headerSeen = true
        case AMQP_FRAME_BODY:
            guard message.headerSeen else { throw .protocolError("body frame before its header") }
            let fragment = frame.payload.body_fragment
            message.received += fragment.len
            if fragment.len > 0, !message.dropping, let bytes = fragment.bytes {
                message.body.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: fragment.len))
            }
        default:
            throw .protocolError("unexpected frame type \(frame.frame_type)")
        }
        guard message.headerSeen, message.received >= message.expected else {
            partial[frame.channel] = message
            return nil
        }
        partial[frame.channel] = nil
        return Content(channel: frame.channel, origin: message.origin, properties: message.properties, body: message.body,
                      oversizedBody: message.dropping ? message.expected : nil)
    }

    /// True while a message's frames are still arriving on some channel.
    var isAssembling: Bool { !partial.isEmpty }

    /// Forgets partial messages, e.g. when their channel or connection closed.
    mutating func reset(channel: UInt16? = nil) {
        if let channel { partial[channel] = nil } else { partial.removeAll() }
    }
}
