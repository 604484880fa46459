import ArgumentParser
import Logging
import MailpoolAMQP

/// `mailpool broker-check`: declares a scratch quorum queue, publishes with confirms, consumes and
/// acks the messages back, and prints what it measured. The quick start's first step.
struct BrokerCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker-check",
        abstract: "Round-trips messages through RabbitMQ (confirmed publish, consume, ack)."
    )

    @OptionGroup var broker: BrokerOptions

    @Option(name: .long, help: "How many messages to round-trip.")
    var count = 100

    func run() async throws {
        let options = try broker.connectionOptions(name: "mailpool-broker-check")
        let queue = "mailpool.broker-check"
        let connection = try await AMQPConnection.connect(options, topology: Topology(queues: [.quorum(queue)]))
        let clock = ContinuousClock()
        let start = clock.now
        for index in 0..<count {
            try await connection.publish(OutgoingMessage(
                exchange: "", routingKey: queue, body: Array("message \(index)".utf8),
                properties: AMQPProperties(messageID: "\(index)")))
        }
        let published = clock.now
        var received = 0
        for try await delivery in try await connection.consume(queue: queue, prefetch: 50) {
            delivery.ack()
            received += 1
            if received == count { break }
        }
        let done = clock.now
        try await connection.deleteQueue(queue)
        await connection.close()
        print("published \(count) confirmed messages in \(published - start), consumed and acked them in \(done - published)")
        print("broker-check OK: \(options.urls.map(\.endpoint).joined(separator: ","))")
    }
}
