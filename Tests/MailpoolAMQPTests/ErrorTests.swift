import MailpoolAMQP
import Testing

@Suite struct ErrorTests {
    @Test func mandatoryPublishToMissingExchangeFailsAndChannelRecovers() async throws {
        let queue = Broker.uniqueName("after-error")
        let connection = try await Broker.connect(Topology(queues: [.quorum(queue)]))
        let missing = Broker.uniqueName("missing-exchange")
        await #expect {
            try await connection.publish(OutgoingMessage(exchange: missing, routingKey: "x", body: "lost".bytes))
        } throws: { error in
            guard case .notFound(let text) = error as? AMQPError else { return false }
            return text.contains("no exchange '\(missing)'")
        }
        // The publishing channel was reopened: the next publish goes through.
        try await connection.publish(OutgoingMessage(exchange: "", routingKey: queue, body: "fine".bytes))
        #expect(try await connection.queueInfo(queue).messageCount == 1)
        try await connection.deleteQueue(queue)
        await connection.close()
    }

    @Test func unroutableMandatoryPublishIsReturned() async throws {
        let exchange = Broker.uniqueName("unbound")
        let connection = try await Broker.connect(Topology(exchanges: [ExchangeSpec(name: exchange)]))
        await #expect(throws: AMQPError.unroutable(replyCode: 312, replyText: "NO_ROUTE")) {
            try await connection.publish(OutgoingMessage(exchange: exchange, routingKey: "nobody", body: "x".bytes))
        }
        try await connection.deleteExchange(exchange)
        await connection.close()
    }

    @Test func wrongPasswordIsAccessRefused() async throws {
        let url = try AMQPURL(Broker.url)
        let wrong = try AMQPURL("amqp://\(url.user):not-the-password@\(url.host):\(url.port)/%2f")
        await #expect {
            _ = try await AMQPConnection.connect(AMQPConnectionOptions(urls: [wrong]))
        } throws: { error in
            guard case .accessRefused(_, let text) = error as? AMQPError else { return false }
            let message = "\(error)"
            return text.contains("ACCESS_REFUSED") && message.contains("check the user name and password")
                && !message.contains("not-the-password")
        }
    }

    @Test func unknownVhostIsReported() async throws {
        let url = try AMQPURL(Broker.url)
        let vhost = Broker.uniqueName("vhost")
        let other = try AMQPURL("amqp://\(url.user):\(url.password)@\(url.host):\(url.port)/\(vhost)")
        await #expect {
            _ = try await AMQPConnection.connect(AMQPConnectionOptions(urls: [other]))
        } throws: { error in
            guard case .vhostNotFound(_, let text) = error as? AMQPError else { return false }
            return text.contains(vhost)
        }
    }

    @Test func nobodyListeningIsConnectionRefused() async throws {
        await #expect {
            _ = try await AMQPConnection.connect(AMQPConnectionOptions(urls: [try AMQPURL("amqp://guest:guest@127.0.0.1:1/%2f")]))
        } throws: { error in
            guard case .connectionRefused(let endpoint, _) = error as? AMQPError else { return false }
            return endpoint == "amqp://127.0.0.1:1//"
        }
    }

    @Test func topologyMismatchIsPreconditionFailedWithServerText() async throws {
        let queue = Broker.uniqueName("mismatch")
        let connection = try await Broker.connect(Topology(queues: [QueueSpec(name: queue)]))
        await #expect {
            try await connection.declare(Topology(queues: [.quorum(queue)]))
        } throws: { error in
            guard case .preconditionFailed(let text) = error as? AMQPError else { return false }
            return text.contains("inequivalent arg 'x-queue-type'")
        }
        // The control channel was reopened: later calls work.
        #expect(try await connection.queueInfo(queue).messageCount == 0)
        try await connection.deleteQueue(queue)
        await connection.close()
    }

    @Test func passiveDeclareOfMissingQueueIsNotFound() async throws {
        let connection = try await Broker.connect()
        await #expect {
            _ = try await connection.queueInfo(Broker.uniqueName("absent"))
        } throws: { error in
            guard case .notFound(let text) = error as? AMQPError else { return false }
            return text.contains("NOT_FOUND")
        }
        await connection.close()
    }

    @Test func urlPasswordNeverShows() throws {
        let url = try AMQPURL("amqps://user:s3cret@broker.example:5671/prod")
        #expect(url.tls && url.port == 5671 && url.vhost == "prod" && url.password == "s3cret")
        #expect(!"\(url)".contains("s3cret"))
        #expect(throws: AMQPError.self) { try AMQPURL("http://nope") }
    }
}
