import CMailpoolShims
import CRabbitMQ

/// Synchronous broker operations on a channel, each checked with ``RabbitSession/check(_:channel:)``.
extension RabbitSession {
    func declare(_ topology: Topology, on channel: UInt16) throws(AMQPError) {
        for exchange in topology.exchanges {
            let arena = CAllocationArena()
            amqp_exchange_declare(state, channel, arena.bytes(exchange.name), arena.bytes(exchange.kind.rawValue),
                                  0, exchange.durable ? 1 : 0, exchange.autoDelete ? 1 : 0, 0,
                                  arena.table(exchange.arguments))
            try check(amqp_get_rpc_reply(state), channel: channel)
        }
        for queue in topology.queues {
            let arena = CAllocationArena()
            amqp_queue_declare(state, channel, arena.bytes(queue.name), 0, queue.durable ? 1 : 0,
                               queue.exclusive ? 1 : 0, queue.autoDelete ? 1 : 0, arena.table(queue.arguments))
            try check(amqp_get_rpc_reply(state), channel: channel)
        }
        for binding in topology.bindings {
            let arena = CAllocationArena()
            amqp_queue_bind(state, channel, arena.bytes(binding.queue), arena.bytes(binding.exchange),
                            arena.bytes(binding.routingKey), arena.table(binding.arguments))
            try check(amqp_get_rpc_reply(state), channel: channel)
        }
    }

    /// Passive declare: the queue's counts, or ``AMQPError/notFound(replyText:)``.
    func inspectQueue(_ name: String, on channel: UInt16) throws(AMQPError) -> QueueInfo {
        let arena = CAllocationArena()
        let ok = amqp_queue_declare(state, channel, arena.bytes(name), 1, 0, 0, 0, amqp_empty_table)
        try check(amqp_get_rpc_reply(state), channel: channel)
        guard let ok else { throw .protocolError("queue.declare-ok missing") }
        return QueueInfo(messageCount: Int(ok.pointee.message_count), consumerCount: Int(ok.pointee.consumer_count))
    }

    func deleteQueue(_ name: String, on channel: UInt16) throws(AMQPError) {
        let arena = CAllocationArena()
        amqp_queue_delete(state, channel, arena.bytes(name), 0, 0)
        try check(amqp_get_rpc_reply(state), channel: channel)
    }

    /// Removes every ready message; returns how many there were.
    func purgeQueue(_ name: String, on channel: UInt16) throws(AMQPError) -> Int {
        let arena = CAllocationArena()
        let ok = amqp_queue_purge(state, channel, arena.bytes(name))
        try check(amqp_get_rpc_reply(state), channel: channel)
        return Int(ok?.pointee.message_count ?? 0)
    }

    func deleteExchange(_ name: String, on channel: UInt16) throws(AMQPError) {
        let arena = CAllocationArena()
        amqp_exchange_delete(state, channel, arena.bytes(name), 0)
        try check(amqp_get_rpc_reply(state), channel: channel)
    }

    /// Sets the prefetch (unacknowledged deliveries at most) and starts consuming with manual acks.
    func consume(queue: String, tag: String, prefetch: UInt16, on channel: UInt16) throws(AMQPError) {
        amqp_basic_qos(state, channel, 0, prefetch, 0)
        try check(amqp_get_rpc_reply(state), channel: channel)
        let arena = CAllocationArena()
        amqp_basic_consume(state, channel, arena.bytes(queue), arena.bytes(tag), 0, 0, 0, amqp_empty_table)
        try check(amqp_get_rpc_reply(state), channel: channel)
    }

    func cancel(consumerTag: String, on channel: UInt16) throws(AMQPError) {
        let arena = CAllocationArena()
        amqp_basic_cancel(state, channel, arena.bytes(consumerTag))
        try check(amqp_get_rpc_reply(state), channel: channel)
    }

    /// Sends basic.publish with its content; the confirm arrives later as a frame.
    func publish(_ message: OutgoingMessage, on channel: UInt16) throws(AMQPError) {
        let arena = CAllocationArena()
        var properties = message.properties.encoded(in: arena)
        let status = message.body.withUnsafeBytes { body in
            amqp_basic_publish(state, channel, arena.bytes(message.exchange), arena.bytes(message.routingKey),
                               message.mandatory ? 1 : 0, 0, &properties,
                               amqp_bytes_t(len: body.count, bytes: UnsafeMutableRawPointer(mutating: body.baseAddress)))
        }
        try checkStatus(status)
    }

    func settle(_ settlement: Settlement, deliveryTag: UInt64, on channel: UInt16) throws(AMQPError) {
        let status: Int32
        switch settlement {
        case .ack: status = amqp_basic_ack(state, channel, deliveryTag, 0)
        case .nack(let requeue, let multiple):
            status = amqp_basic_nack(state, channel, deliveryTag, multiple ? 1 : 0, requeue ? 1 : 0)
        case .reject(let requeue): status = amqp_basic_reject(state, channel, deliveryTag, requeue ? 1 : 0)
        }
        try checkStatus(status)
    }
}
