import MailpoolAMQP
import Synchronization
import Testing

/// Recovery against the real broker, in a virtual host of its own so that closing its connections
/// leaves the other tests alone.
@Suite struct RecoveryTests {
    /// 10,000 confirmed publishes and consumes while the broker drops every connection part way:
    /// every message is consumed and acked at least once, and nothing confirmed is lost.
    @Test func streamSurvivesCloseAllConnections() async throws {
        let total = 10_000
        let queue = Broker.uniqueName("recovery")
        let vhost = try Broker.isolatedVhost("mailpool-recovery-tests")
        let topology = Topology(queues: [.quorum(queue)])
        let publisher = try await Broker.connect(topology, name: "recovery-publisher", vhost: vhost)
        let consumerConnection = try await Broker.connect(topology, name: "recovery-consumer", vhost: vhost)

        let confirmed = Locked(Set<Int>())
        let failedPublishes = Locked(0)
        let acked = Locked(Set<Int>())
        let deliveries = Locked(0)

        let consuming = Task {
            for try await delivery in try await consumerConnection.consume(queue: queue, prefetch: 200) {
                deliveries.withLock { $0 += 1 }
                let id = Int(delivery.properties.messageID ?? "") ?? -1
                // An ack for a channel that died is dropped; the broker redelivers that message.
                delivery.ack()
                let done = acked.withLock { $0.insert(id); return $0.count }
                if done == total { break }
            }
        }
        // Paced at 2,000 messages/s so that the connections are closed while the stream is under way.
        let start = ContinuousClock.now
        let publishing = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in 0..<total {
                    if id >= 200 { try await group.next() }
                    try await Task.sleep(until: start + .microseconds(id * 500))
                    group.addTask {
                        let message = OutgoingMessage(exchange: "", routingKey: queue, body: "message \(id)".bytes,
                                                      properties: AMQPProperties(messageID: "\(id)"))
                        // At-least-once: a publish not confirmed is published again.
                        while true {
                            do {
                                try await publisher.publish(message)
                                confirmed.withLock { _ = $0.insert(id) }
                                return
                            } catch {
                                failedPublishes.withLock { $0 += 1 }
                                try await Task.sleep(for: .milliseconds(20))
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }

        try await eventually(within: 60) { acked.withLock { $0.count } >= 3_000 }
        try Broker.rabbitmqctl("close_all_connections", "--vhost", vhost, "chaos test")
        #expect(confirmed.withLock { $0.count } < total, "the connections were closed mid-stream")
        try await withTimeout(180) { try await publishing.value }
        try await withTimeout(180) { try await consuming.value }

        #expect(publisher.connectionCount >= 2, "the publisher reconnected")
        #expect(consumerConnection.connectionCount >= 2, "the consumer reconnected")
        let confirmedIDs = confirmed.withLock { $0 }
        let ackedIDs = acked.withLock { $0 }
        #expect(confirmedIDs.count == total)
        #expect(confirmedIDs.isSubset(of: ackedIDs), "a confirmed publish was lost")
        #expect(ackedIDs == Set(0..<total))
        print("recovery: \(failedPublishes.value) publishes reported failed and retried, "
              + "\(deliveries.value) deliveries for \(total) messages")

        try await publisher.deleteQueue(queue)
        await publisher.close()
        await consumerConnection.close()
    }

    @Test func connectsToTheNextNodeWhenOneIsDown() async throws {
        var options = try Broker.options(name: "failover")
        options.urls.insert(try AMQPURL("amqp://guest:guest@127.0.0.1:1/%2f"), at: 0)
        let connection = try await AMQPConnection.connect(options)
        let queue = Broker.uniqueName("failover")
        try await connection.declare(Topology(queues: [.quorum(queue)]))
        try await connection.publish(OutgoingMessage(exchange: "", routingKey: queue, body: "up".bytes))
        #expect(try await connection.queueInfo(queue).messageCount == 1)
        try await connection.deleteQueue(queue)
        await connection.close()
    }
}
