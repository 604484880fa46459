import MailpoolAMQP
import Testing

@Suite struct TopologyTests {
    @Test func declaringTwiceIsIdempotentAndPassiveDeclareCounts() async throws {
        let queue = Broker.uniqueName("idempotent")
        let retry = Broker.uniqueName("retry-10s")
        let exchange = Broker.uniqueName("events")
        let topology = Topology(
            exchanges: [ExchangeSpec(name: exchange, kind: .topic)],
            queues: [.quorum(queue, deadLetterExchange: exchange, deadLetterRoutingKey: "dead", deliveryLimit: 5),
                     .quorum(retry, deadLetterExchange: "", deadLetterRoutingKey: queue, messageTTL: 10_000)],
            bindings: [BindingSpec(queue: queue, exchange: exchange, routingKey: "mail.#")])
        let connection = try await Broker.connect(topology)
        try await connection.declare(topology)

        for _ in 0..<3 {
            try await connection.publish(OutgoingMessage(exchange: exchange, routingKey: "mail.inbound", body: "m".bytes))
        }
        let consumer = try await connection.consume(queue: queue, prefetch: 1)
        let info = try await connection.queueInfo(queue)
        #expect(info.consumerCount == 1)
        #expect(info.messageCount >= 2)  // one may already be out to the consumer
        consumer.cancel()

        try await connection.deleteQueue(queue)
        try await connection.deleteQueue(retry)
        try await connection.deleteExchange(exchange)
        await connection.close()
    }

    @Test func retryQueueDeadLettersBackAfterTTL() async throws {
        let work = Broker.uniqueName("work")
        let delay = Broker.uniqueName("delay")
        let connection = try await Broker.connect(Topology(queues: [
            .quorum(work), .quorum(delay, deadLetterExchange: "", deadLetterRoutingKey: work, messageTTL: 200),
        ]))
        try await connection.publish(OutgoingMessage(exchange: "", routingKey: delay, body: "later".bytes))
        let consumer = try await connection.consume(queue: work, prefetch: 1)
        let delivery = try #require(try await consumer.take(1, within: 10).first)
        #expect(delivery.body == "later".bytes)
        #expect(delivery.properties.headers["x-death"]?.arrayValue?.first?.tableValue?["reason"] == "expired")
        delivery.ack()
        try await connection.deleteQueue(work)
        try await connection.deleteQueue(delay)
        await connection.close()
    }
}
