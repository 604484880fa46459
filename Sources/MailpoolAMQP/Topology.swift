/// Exchanges, queues and bindings that a process needs. Declaring is idempotent: declaring the same
/// description twice changes nothing, and the connection declares it again after every reconnect.
/// A declaration that differs from what the broker holds fails with ``AMQPError/preconditionFailed(replyText:)``.
public struct Topology: Sendable, Equatable {
    public var exchanges: [ExchangeSpec]
    public var queues: [QueueSpec]
    public var bindings: [BindingSpec]

    public init(exchanges: [ExchangeSpec] = [], queues: [QueueSpec] = [], bindings: [BindingSpec] = []) {
        self.exchanges = exchanges
        self.queues = queues
        self.bindings = bindings
    }

    /// This topology followed by `other`'s declarations that it does not already hold.
    public func merging(_ other: Topology) -> Topology {
        Topology(
            exchanges: exchanges + other.exchanges.filter { !exchanges.contains($0) },
            queues: queues + other.queues.filter { !queues.contains($0) },
            bindings: bindings + other.bindings.filter { !bindings.contains($0) }
        )
    }

    public var isEmpty: Bool { exchanges.isEmpty && queues.isEmpty && bindings.isEmpty }
}

/// An exchange declaration.
public struct ExchangeSpec: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case direct, fanout, topic, headers
    }

    public var name: String
    public var kind: Kind
    public var durable: Bool
    public var autoDelete: Bool
    public var arguments: AMQPTable

    public init(name: String, kind: Kind = .direct, durable: Bool = true, autoDelete: Bool = false,
                arguments: AMQPTable = [:]) {
        self.name = name
        self.kind = kind
        self.durable = durable
        self.autoDelete = autoDelete
        self.arguments = arguments
    }
}

/// A queue declaration. Use ``quorum(_:deadLetterExchange:deadLetterRoutingKey:messageTTL:deliveryLimit:)``
/// for the replicated queues work lives in.
public struct QueueSpec: Sendable, Equatable {
    public var name: String
    public var durable: Bool
    public var exclusive: Bool
    public var autoDelete: Bool
    public var arguments: AMQPTable

    public init(name: String, durable: Bool = true, exclusive: Bool = false, autoDelete: Bool = false,
                arguments: AMQPTable = [:]) {
        self.name = name
        self.durable = durable
        self.exclusive = exclusive
        self.autoDelete = autoDelete
        self.arguments = arguments
    }

    /// The delivery limit that means none, on RabbitMQ 3.10 as on 4.x: RabbitMQ 4 gives a quorum queue
    /// declared without `x-delivery-limit` a limit of 20 (a message returned 20 times is dropped, or
    /// dead-lettered), and 3.10 takes 4's "unlimited", -1, as a limit it exceeds at the first return.
    public static let noDeliveryLimit = Int(Int32.max)

    /// A durable quorum queue (`x-queue-type: quorum`), optionally dead-lettering rejected or expired
    /// messages to `deadLetterExchange`, with a message TTL in milliseconds and a limit on deliveries
    /// (always explicit, ``noDeliveryLimit`` by default, so that 3.10 and 4.x behave the same).
    public static func quorum(
        _ name: String,
        deadLetterExchange: String? = nil,
        deadLetterRoutingKey: String? = nil,
        messageTTL: Int? = nil,
        deliveryLimit: Int = noDeliveryLimit
    ) -> QueueSpec {
        var arguments: AMQPTable = ["x-queue-type": "quorum", "x-delivery-limit": .int(Int64(deliveryLimit))]
        if let deadLetterExchange { arguments["x-dead-letter-exchange"] = .string(deadLetterExchange) }
        if let deadLetterRoutingKey { arguments["x-dead-letter-routing-key"] = .string(deadLetterRoutingKey) }
        if let messageTTL { arguments["x-message-ttl"] = .int(Int64(messageTTL)) }
        return QueueSpec(name: name, arguments: arguments)
    }
}

/// Binds a queue to an exchange.
public struct BindingSpec: Sendable, Equatable {
    public var queue: String
    public var exchange: String
    public var routingKey: String
    public var arguments: AMQPTable

    public init(queue: String, exchange: String, routingKey: String = "", arguments: AMQPTable = [:]) {
        self.queue = queue
        self.exchange = exchange
        self.routingKey = routingKey
        self.arguments = arguments
    }
}

/// What a passive declare reports about an existing queue.
public struct QueueInfo: Sendable, Equatable {
    /// Messages ready for delivery (not counting those delivered and not yet acknowledged).
    public var messageCount: Int
    public var consumerCount: Int
}
