import ArgumentParser
import CAMQPBaseline
import Foundation
import MailpoolAMQP

/// `mailpool-bench amqp`: confirmed publish and consume+ack throughput of ``AMQPConnection`` next to
/// the same work in plain rabbitmq-c, on quorum queues with persistent 1 KB bodies.
struct AMQPBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "amqp", abstract: "AMQP publish/consume throughput, mailpool vs plain rabbitmq-c.")

    @Option(help: "Broker host (guest/guest, vhost /).") var host = "127.0.0.1"
    @Option(help: "Broker port.") var port = 5672
    @Option(help: "Messages per pipelined run.") var count = 50_000
    @Option(help: "Messages for the one-confirm-at-a-time run.") var sequentialCount = 2_000
    @Option(help: "Body size in bytes.") var bodySize = 1024
    @Option(help: "Unconfirmed publishes in flight when pipelining.") var window = 500
    @Option(help: "Consumer prefetch.") var prefetch: UInt16 = 1000

    func run() async throws {
        let options = AMQPConnectionOptions(urls: [try AMQPURL("amqp://guest:guest@\(host):\(port)/%2f")],
                                            connectionName: "mailpool-bench")
        let connection = try await AMQPConnection.connect(options)
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: bodySize)
        var rows: [BenchmarkRow] = []

        let sequential = try await fresh(connection, "bench.sequential")
        rows.append(BenchmarkRow(
            name: "publish, wait for each confirm",
            baseline: mp_baseline_publish(host, Int32(port), sequential.c, Int32(sequentialCount), Int32(bodySize), 1),
            swift: try await rate(sequentialCount) {
                try await publish(connection, sequential.swift, body: body, count: sequentialCount, window: 1)
            }))

        let pipelined = try await fresh(connection, "bench.pipelined")
        rows.append(BenchmarkRow(
            name: "publish, \(window) confirms in flight",
            baseline: mp_baseline_publish(host, Int32(port), pipelined.c, Int32(count), Int32(bodySize), Int32(window)),
            swift: try await rate(count) {
                try await publish(connection, pipelined.swift, body: body, count: count, window: window)
            }))

        rows.append(BenchmarkRow(
            name: "consume + ack each, prefetch \(prefetch)",
            baseline: mp_baseline_consume(host, Int32(port), pipelined.c, Int32(count), Int32(prefetch)),
            swift: try await rate(count) {
                try await consume(connection, pipelined.swift, count: count)
            }))

        for queue in [sequential.c, sequential.swift, pipelined.c, pipelined.swift] {
            try await connection.deleteQueue(queue)
        }
        await connection.close()
        BenchmarkRow.print(rows, title: "AMQP, quorum queue, \(bodySize)-byte persistent messages, RabbitMQ on \(host)")
    }

    /// A pair of empty quorum queues, one for each client.
    private func fresh(_ connection: AMQPConnection, _ name: String) async throws -> (c: String, swift: String) {
        let pair = (c: "\(name).rabbitmq-c", swift: "\(name).mailpool")
        for queue in [pair.c, pair.swift] {
            try? await connection.deleteQueue(queue)
            try await connection.declare(Topology(queues: [.quorum(queue)]))
        }
        return pair
    }

    private func rate(_ count: Int, _ body: () async throws -> Void) async throws -> Double {
        let clock = ContinuousClock()
        let elapsed = try await clock.measure(body)
        return Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    private func publish(_ connection: AMQPConnection, _ queue: String, body: [UInt8], count: Int, window: Int) async throws {
        let message = OutgoingMessage(exchange: "", routingKey: queue, body: body)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                if index >= window { try await group.next() }
                group.addTask { try await connection.publish(message) }
            }
            try await group.waitForAll()
        }
    }

    private func consume(_ connection: AMQPConnection, _ queue: String, count: Int) async throws {
        var received = 0
        let consumer = try await connection.consume(queue: queue, prefetch: prefetch)
        for try await delivery in consumer {
            delivery.ack()
            received += 1
            if received == count { break }
        }
        consumer.cancel()
    }
}
