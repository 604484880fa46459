import Foundation
import MailpoolAMQP
import MailpoolTestSupport
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
        let vhost = try await Broker.isolatedVhost("mailpool-recovery-tests")
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
        // Paced at 2,000 messages/s, and the last 2,000 held back until the publisher has been cut off and
        // has reconnected, however long rabbitmqctl takes: the connections are closed mid-stream.
        let start = ContinuousClock.now
        let heldBack = total - 2_000
        let publishing = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in 0..<total {
                    if id >= 200 { try await group.next() }
                    if id == heldBack { try await eventually(within: 180) { publisher.connectionCount >= 2 } }
                    if id < heldBack { try await Task.sleep(until: start + .microseconds(id * 500)) }
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

        try await eventually(within: 180) { acked.withLock { $0.count } >= 3_000 }
        try await Broker.rabbitmqctl("close_all_connections", "--vhost", vhost, "chaos test")
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

    /// After a reconnect, consumers start again in the order they were registered (a notification
    /// worker registers its work queue's consumer last, so that no call waiting for a reply starts
    /// while a large notification may be arriving there), each on the next free channel from 3.
    @Test func consumersStartAgainInTheOrderTheyWereRegistered() async throws {
        let vhost = try await Broker.isolatedVhost("mailpool-order-tests")
        let queues = (0..<6).map { Broker.uniqueName("order-\($0)") }
        let connection = try await Broker.connect(Topology(queues: queues.map { .quorum($0) }), name: "order", vhost: vhost)
        var consumers: [AMQPConsumer] = []
        for queue in queues { consumers.append(try await connection.consume(queue: queue, prefetch: 1)) }
        try await Broker.rabbitmqctl("close_all_connections", "--vhost", vhost, "order test")
        try await eventually(within: 60) { connection.connectionCount >= 2 }
        var channels: [String] = []
        for (queue, consumer) in zip(queues, consumers) {
            try await connection.publish(OutgoingMessage(exchange: "", routingKey: queue, body: queue.bytes))
            let delivery = try #require(try await consumer.take(1, within: 30).first)
            delivery.ack()
            channels.append(String(delivery.deliveryID.prefix { $0 != "." }))
        }
        #expect(channels == (3..<9).map(String.init), "channels after the reconnect, in registration order: \(channels)")
        for queue in queues { try await connection.deleteQueue(queue) }
        await connection.close()
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

@Suite struct HeartbeatTests {
    /// The network goes silent (a TCP relay between client and broker is frozen with SIGSTOP): no
    /// error, no close, just no bytes. The missed heartbeats are noticed, the connection is dropped and
    /// re-established once the path is back, and work goes on.
    @Test func silentConnectionIsDetectedByHeartbeatsAndRecovered() async throws {
        try await withRelay { relay in
            let (connection, queue) = try await Self.connect(through: relay, name: "heartbeat", failover: false, connectTimeout: 1)
            await relay.freeze()
            try await Task.sleep(for: .seconds(4))  // more than two missed heartbeats
            await relay.thaw()

            try await eventually(within: 120) { connection.connectionCount >= 2 }
            try await Self.expectWorking(connection, queue: queue)
        }
    }

    /// A node that goes silent (frozen, or cut off by a partition) is tried last when the connection
    /// to it is lost: the client connects to the next node at once. Through the frozen relay the
    /// handshake would wait out the whole connect timeout (a minute here) before the next node.
    @Test func silentNodeIsTriedLastAfterItsConnectionIsLost() async throws {
        try await withRelay { relay in
            let (connection, queue) = try await Self.connect(through: relay, name: "silent-node", failover: true, connectTimeout: 60)
            await relay.freeze()
            try await eventually(within: 30, "not connected to the other node while the first was silent") {
                connection.connectionCount >= 2
            }
            try await Self.expectWorking(connection, queue: queue)
        }
    }

    /// A lock whose call a lost connection interrupts is taken on the next connection, and says so:
    /// the number it returns is that connection's, so its holder does not take it for one held on the
    /// old connection, gone with it, and leave it held.
    @Test func aLockInterruptedByAReconnectNamesTheConnectionThatHoldsIt() async throws {
        try await withRelay { relay in
            let (connection, queue) = try await Self.connect(through: relay, name: "lock-reconnect", failover: true, connectTimeout: 10)
            #expect(connection.connectionCount == 1)
            await relay.freeze()
            let name = Broker.uniqueName("lock")
            let holder = try await connection.tryLock(name)
            #expect(holder == 2 && connection.connectionCount == 2)
            try await connection.unlock(name)
            try await Self.expectWorking(connection, queue: queue)
        }
    }

    /// Runs `body` with a relay to the broker, stopped afterwards whatever happened.
    private func withRelay(_ body: (TCPRelay) async throws -> Void) async throws {
        let broker = try AMQPURL(Broker.url)
        let relay = try await TCPRelay.start(to: broker.host, port: broker.port)
        do {
            try await body(relay)
        } catch {
            await relay.stop()
            throw error
        }
        await relay.stop()
    }

    /// A connection through `relay` (and, with `failover`, straight to the broker after a loss, as to a
    /// second node) with a heartbeat every second, and a queue of its own declared.
    private static func connect(through relay: TCPRelay, name: String, failover: Bool,
                                connectTimeout: Double) async throws -> (AMQPConnection, String) {
        var options = try Broker.options(name: name)
        var relayed = try AMQPURL(Broker.url)
        relayed.host = relay.host
        relayed.port = relay.port
        options.urls = failover ? [relayed, try AMQPURL(Broker.url)] : [relayed]
        options.heartbeat = 1
        options.connectTimeout = connectTimeout
        let connection = try await AMQPConnection.connect(options)
        let queue = Broker.uniqueName(name)
        try await connection.declare(Topology(queues: [.quorum(queue)]))
        return (connection, queue)
    }

    /// Checks that `connection` works again (a confirmed publish reaches `queue`), then removes the
    /// queue and closes the connection.
    private static func expectWorking(_ connection: AMQPConnection, queue: String) async throws {
        try await connection.publish(OutgoingMessage(exchange: "", routingKey: queue, body: "after".bytes))
        #expect(try await connection.queueInfo(queue).messageCount == 1)
        try await connection.deleteQueue(queue)
        await connection.close()
    }
}
