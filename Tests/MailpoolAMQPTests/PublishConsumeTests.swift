import MailpoolAMQP
import MailpoolTestSupport
import Synchronization
import Testing

@Suite struct PublishConsumeTests {
    @Test func confirmedPublishThenConsumeAndAckRoundTrip() async throws {
        let queue = Broker.uniqueName("roundtrip")
        let connection = try await Broker.connect(Topology(queues: [.quorum(queue)]))
        let properties = AMQPProperties(
            contentType: "application/json", headers: ["x-attempt": 3, "x-origin": "tests"],
            correlationID: "corr-1", expiration: "600000", messageID: "id-1", timestamp: 1_700_000_000)
        for index in 0..<50 {
            try await connection.publish(OutgoingMessage(
                exchange: "", routingKey: queue, body: "message \(index)".bytes, properties: properties))
        }
        #expect(try await connection.queueInfo(queue).messageCount == 50)

        let consumer = try await connection.consume(queue: queue, prefetch: 50)
        let deliveries = try await consumer.take(50)
        #expect(deliveries.map { String(decoding: $0.body, as: UTF8.self) } == (0..<50).map { "message \($0)" })
        let first = try #require(deliveries.first)
        #expect(first.properties == properties)
        #expect(first.routingKey == queue)
        #expect(!first.redelivered)
        for delivery in deliveries { delivery.ack() }
        consumer.cancel()

        let info = try await connection.queueInfo(queue)
        #expect(info.messageCount == 0)
        try await connection.deleteQueue(queue)
        await connection.close()
    }

    @Test func nackWithRequeueRedelivers() async throws {
        let queue = Broker.uniqueName("requeue")
        let connection = try await Broker.connect(Topology(queues: [.quorum(queue)]))
        try await connection.publish(OutgoingMessage(exchange: "", routingKey: queue, body: "again".bytes))
        let consumer = try await connection.consume(queue: queue, prefetch: 1)
        let first = try #require(try await consumer.take(1).first)
        #expect(!first.redelivered)
        first.nack(requeue: true)
        let second = try #require(try await consumer.take(1).first)
        #expect(second.redelivered)
        #expect(second.body == "again".bytes)
        second.ack()
        try await connection.deleteQueue(queue)
        await connection.close()
    }

    @Test func rejectWithoutRequeueDeadLettersWithXDeath() async throws {
        let queue = Broker.uniqueName("work")
        let dlx = Broker.uniqueName("dlx")
        let dead = Broker.uniqueName("dead")
        let topology = Topology(
            exchanges: [ExchangeSpec(name: dlx, kind: .fanout)],
            queues: [.quorum(queue, deadLetterExchange: dlx), .quorum(dead)],
            bindings: [BindingSpec(queue: dead, exchange: dlx)])
        let connection = try await Broker.connect(topology)
        try await connection.publish(OutgoingMessage(exchange: "", routingKey: queue, body: "poison".bytes))

        let work = try await connection.consume(queue: queue, prefetch: 1)
        try #require(try await work.take(1).first).reject(requeue: false)

        let deadLetters = try await connection.consume(queue: dead, prefetch: 1)
        let deadLetter = try #require(try await deadLetters.take(1).first)
        #expect(deadLetter.body == "poison".bytes)
        let death = try #require(deadLetter.properties.headers["x-death"]?.arrayValue?.first?.tableValue)
        #expect(death["reason"] == "rejected")
        #expect(death["queue"] == .string(queue))
        #expect(death["count"]?.intValue == 1)
        deadLetter.ack()

        try await connection.deleteQueue(queue)
        try await connection.deleteQueue(dead)
        try await connection.deleteExchange(dlx)
        await connection.close()
    }

    @Test func prefetchBoundsUnacknowledgedDeliveries() async throws {
        let queue = Broker.uniqueName("prefetch")
        let connection = try await Broker.connect(Topology(queues: [.quorum(queue)]))
        for index in 0..<20 {
            try await connection.publish(OutgoingMessage(exchange: "", routingKey: queue, body: "\(index)".bytes))
        }
        let received = Locked<[AMQPDelivery]>([])
        let consumer = try await connection.consume(queue: queue, prefetch: 5)
        let collector = Task {
            for try await delivery in consumer { received.withLock { $0.append(delivery) } }
        }
        try await eventually(within: 120) { received.withLock { $0.count } == 5 }
        // Give the broker time to overstep the limit, if it were going to.
        try await Task.sleep(for: .milliseconds(500))
        #expect(received.withLock { $0.count } == 5)

        received.withLock { $0[0] }.ack()
        try await eventually(within: 120) { received.withLock { $0.count } == 6 }
        try await Task.sleep(for: .milliseconds(300))
        #expect(received.withLock { $0.count } == 6)

        collector.cancel()
        try await connection.deleteQueue(queue)
        await connection.close()
    }
}
