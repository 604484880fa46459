import Foundation
import MailpoolAMQP
import Testing

/// `amqps://` against the broker's TLS listener, whose certificate a throw-away CA made by
/// `deploy/local/start-rabbitmq.sh` signed (`MAILPOOL_AMQPS_URL`, `MAILPOOL_TLS_CA`).
@Suite struct TLSTests {
    static let url = ProcessInfo.processInfo.environment["MAILPOOL_AMQPS_URL"] ?? "amqps://guest:guest@localhost:5671/%2f"
    static let caFile = ProcessInfo.processInfo.environment["MAILPOOL_TLS_CA"] ?? "/var/tmp/mailpool/tls/ca.pem"

    @Test func verifiedTLSConnectionCarriesConfirmedPublishes() async throws {
        var options = AMQPConnectionOptions(urls: [try AMQPURL(Self.url)], connectionName: "tls-test")
        options.tls = AMQPTLSOptions(caFile: Self.caFile)
        let queue = Broker.uniqueName("tls")
        let connection = try await AMQPConnection.connect(options, topology: Topology(queues: [.quorum(queue)]))
        try await connection.publish(OutgoingMessage(exchange: "", routingKey: queue, body: "secure".bytes))
        let delivery = try #require(try await connection.consume(queue: queue, prefetch: 1).take(1).first)
        #expect(delivery.body == "secure".bytes)
        delivery.ack()
        try await connection.deleteQueue(queue)
        await connection.close()
    }

    @Test func untrustedCertificateIsRefusedByDefault() async throws {
        let options = AMQPConnectionOptions(urls: [try AMQPURL(Self.url)], connectionName: "tls-untrusted")
        await #expect {
            _ = try await AMQPConnection.connect(options)
        } throws: { error in
            guard case .tls = error as? AMQPError else { return false }
            return true
        }
    }
}
