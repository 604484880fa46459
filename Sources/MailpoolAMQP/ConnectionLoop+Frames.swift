import CMailpoolShims
import CRabbitMQ
import Logging

/// Handling frames the broker sends on its own: deliveries, confirms, returns, cancellations, closes.
extension ConnectionLoop {
    func handle(_ frame: amqp_frame_t) throws(AMQPError) {
        switch Int32(frame.frame_type) {
        case AMQP_FRAME_METHOD:
            try handleMethod(frame.payload.method, channel: frame.channel)
        case AMQP_FRAME_HEADER, AMQP_FRAME_BODY:
            if let content = try assembler.add(frame) { try dispatch(content) }
        default:
            break
        }
    }

    private func handleMethod(_ method: amqp_method_t, channel: UInt16) throws(AMQPError) {
        func decoded<T>(_ type: T.Type) -> T { method.decoded.assumingMemoryBound(to: T.self).pointee }
        switch method.id {
        case MP_BASIC_DELIVER:
            let deliver = decoded(amqp_basic_deliver_t.self)
            assembler.begin(.delivery(deliveryTag: deliver.delivery_tag, redelivered: deliver.redelivered != 0,
                                      exchange: String(amqpBytes: deliver.exchange),
                                      routingKey: String(amqpBytes: deliver.routing_key)), channel: channel,
                            bodyLimit: consumerOnChannel[channel]?.maxBodySize)
        case MP_BASIC_ACK where channel == Self.publishChannel:
            let ack = decoded(amqp_basic_ack_t.self)
            confirms.ack(ack.delivery_tag, multiple: ack.multiple != 0)
        case MP_BASIC_NACK where channel == Self.publishChannel:
            let nack = decoded(amqp_basic_nack_t.self)
            confirms.nack(nack.delivery_tag, multiple: nack.multiple != 0)
        case MP_BASIC_RETURN:
            let returned = decoded(amqp_basic_return_t.self)
            assembler.begin(.returned(replyCode: returned.reply_code, replyText: String(amqpBytes: returned.reply_text)),
                            channel: channel)
        case MP_BASIC_CANCEL:
            consumerCancelledByBroker(String(amqpBytes: decoded(amqp_basic_cancel_t.self).consumer_tag))
        case MP_CHANNEL_CLOSE:
            let close = decoded(amqp_channel_close_t.self)
            try channelClosed(channel, AMQPError(channelClose: close.reply_code, text: String(amqpBytes: close.reply_text)))
        case MP_CONNECTION_CLOSE:
            let close = decoded(amqp_connection_close_t.self)
            session?.acknowledgeConnectionClose()
            throw .connectionLost("closed by the broker: \(close.reply_code) \(String(amqpBytes: close.reply_text))")
        case MP_CONNECTION_BLOCKED:
            logger.warning("the broker blocked publishing (resource alarm)")
        case MP_CONNECTION_UNBLOCKED:
            logger.info("the broker unblocked publishing")
        default:
            logger.trace("ignored method", metadata: ["id": "\(method.id)", "channel": "\(channel)"])
        }
    }

    private func dispatch(_ content: ContentAssembler.Content) throws(AMQPError) {
        switch content.origin {
        case .returned(let code, let text):
            if content.channel == Self.publishChannel { confirms.returned(code: code, text: text) }
        case .delivery(let tag, let redelivered, let exchange, let routingKey):
            guard let registration = consumerOnChannel[content.channel], !registration.cancelled,
                  let generation = channelGeneration.current(content.channel) else {
                // Nobody listens any more: give it back to the queue at once.
                try session?.settle(.nack(requeue: true, multiple: false), deliveryTag: tag, on: content.channel)
                return
            }
            registration.continuation.yield(AMQPDelivery(
                body: content.body, oversizedBody: content.oversizedBody, properties: content.properties,
                exchange: exchange, routingKey: routingKey, redelivered: redelivered,
                receipt: DeliveryReceipt(channel: content.channel, generation: generation, deliveryTag: tag),
                inbox: inbox, generations: channelGeneration))
        }
    }

    /// The broker closed `channel` (e.g. a publish to a missing exchange, an unknown delivery tag).
    /// The channel is reopened; publishes waiting for confirms on it fail with the broker's reason.
    private func channelClosed(_ channel: UInt16, _ error: AMQPError) throws(AMQPError) {
        logger.warning("channel closed by the broker", metadata: ["channel": "\(channel)", "error": "\(error)"])
        guard let session else { return }
        assembler.reset(channel: channel)
        channelGeneration.remove(channel)
        try session.acknowledgeChannelClose(channel)
        if channel == Self.publishChannel {
            confirms.failAll(error)
            try session.selectConfirms(channel)
        } else if let registration = consumerOnChannel[channel], !registration.cancelled {
            do throws(AMQPError) {
                try startConsuming(registration)
            } catch .connectionLost(let reason) {
                throw .connectionLost(reason)
            } catch {
                consumerCancelledByBroker(registration.tag)
            }
        }
    }

    private func consumerCancelledByBroker(_ tag: String) {
        guard let registration = consumers.removeValue(forKey: tag) else { return }
        registration.cancelled = true
        logger.warning("the broker cancelled a consumer", metadata: ["queue": "\(registration.queue)"])
        registration.continuation.finish(throwing: AMQPError.consumerCancelled(queue: registration.queue))
    }
}
