import MailpoolAMQP
import Testing

/// The broker features the pipeline coordinates with: exclusive-queue locks and single-slot
/// "outstanding job" markers (a classic queue of length 1 that refuses more, with message TTL;
/// quorum queues enforce the length only approximately, so they cannot serve).
@Suite struct CoordinationTests {
    @Test func lockIsHeldByOneConnectionAndFreedWhenItCloses() async throws {
        let name = Broker.uniqueName("lock")
        let first = try await Broker.connect(name: "lock-a")
        let second = try await Broker.connect(name: "lock-b")
        #expect(try await first.tryLock(name) == first.connectionCount)
        #expect(try await second.tryLock(name) == nil)
        await first.close()
        #expect(try await second.tryLock(name) == second.connectionCount)
        try await second.unlock(name)
        await second.close()
    }

    @Test func singleSlotQueueRefusesASecondMarkerUntilPurgedOrExpired() async throws {
        let queue = Broker.uniqueName("marker")
        let connection = try await Broker.connect(Topology(queues: [QueueSpec(name: queue, arguments: [
            "x-queue-type": "classic", "x-max-length": 1, "x-overflow": "reject-publish",
        ])]))
        let marker = OutgoingMessage(exchange: "", routingKey: queue, body: [])
        try await connection.publish(marker)
        await #expect(throws: AMQPError.publishNacked) { try await connection.publish(marker) }
        #expect(try await connection.purgeQueue(queue) == 1)
        try await connection.publish(OutgoingMessage(exchange: "", routingKey: queue, body: [],
                                                     properties: AMQPProperties(expiration: "300")))
        try await Task.sleep(for: .milliseconds(800))
        try await connection.publish(marker)
        try await connection.deleteQueue(queue)
        await connection.close()
    }
}
