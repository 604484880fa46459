/// A request to the connection's owner thread. Each carries the continuation the caller waits on.
enum ConnectionCommand: Sendable {
    case publish(OutgoingMessage, CheckedContinuation<Void, any Error>)
    /// Publishes in order; the continuation resumes once all are confirmed.
    case publishBatch([OutgoingMessage], CheckedContinuation<Void, any Error>)
    case settle(DeliveryReceipt, Settlement)
    case declare(Topology, CheckedContinuation<Void, any Error>)
    case inspectQueue(String, CheckedContinuation<QueueInfo, any Error>)
    case deleteQueue(String, CheckedContinuation<Void, any Error>)
    case deleteExchange(String, CheckedContinuation<Void, any Error>)
    case purgeQueue(String, CheckedContinuation<Int, any Error>)
    /// Declares a queue without remembering it for recovery (exclusive locks must not come back by
    /// themselves); resumes with the number of the connection it was declared on.
    case declareTransient(QueueSpec, CheckedContinuation<Int, any Error>)
    case consume(ConsumerRegistration, CheckedContinuation<Void, any Error>)
    case cancelConsumer(String)
    /// Closes the connection; the continuation, if any, resumes once it is closed.
    case close(CheckedContinuation<Void, Never>?)

    /// Several messages published in one command.
    var isBatch: Bool {
        if case .publishBatch = self { true } else { false }
    }

    /// A synchronous call: rabbitmq-c reads frames until the broker's reply, and keeps every frame of
    /// another channel it reads meanwhile (a large message's body, say) in memory until it returns.
    var waitsForReply: Bool {
        switch self {
        case .declare, .inspectQueue, .deleteQueue, .deleteExchange, .purgeQueue, .declareTransient, .consume, .cancelConsumer: true
        case .publish, .publishBatch, .settle, .close: false
        }
    }

    /// Fails the waiting caller, if any, with `error`.
    func fail(_ error: AMQPError) {
        switch self {
        case .publish(_, let c), .publishBatch(_, let c), .declare(_, let c), .deleteQueue(_, let c),
             .deleteExchange(_, let c), .consume(_, let c):
            c.resume(throwing: error)
        case .inspectQueue(_, let c):
            c.resume(throwing: error)
        case .purgeQueue(_, let c):
            c.resume(throwing: error)
        case .declareTransient(_, let c):
            c.resume(throwing: error)
        case .cancelConsumer, .settle:
            break
        case .close(let c):
            c?.resume()
        }
    }
}

/// How a delivery is settled.
enum Settlement: Sendable {
    case ack
    /// With `multiple`, also every earlier delivery on the channel not yet settled.
    case nack(requeue: Bool, multiple: Bool)
    case reject(requeue: Bool)
}
