import ArgumentParser
import Foundation
import Logging
import MailpoolAMQP

/// Runs `rabbitmqctl -n node arguments…` (the benchmarks make virtual hosts of their own with it);
/// returns its output.
@discardableResult
func rabbitmqctl(node: String, _ arguments: String...) throws -> String {
    let process = Process()
    let output = Pipe()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["rabbitmqctl", "-n", node] + arguments
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw ValidationError("rabbitmqctl \(arguments.joined(separator: " ")) failed") }
    return text
}

/// The broker's memory in use, in bytes (`erlang:memory(total)`).
func brokerMemory(node: String) throws -> Int {
    Int(try rabbitmqctl(node: node, "eval", "erlang:memory(total).").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
}

/// The operating-system process ID of the broker's Erlang VM (the benchmarks run it on this machine).
func brokerProcessID(node: String) throws -> Int32 {
    let text = try rabbitmqctl(node: node, "eval", "list_to_integer(os:getpid()).")
    guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw ValidationError("no broker process ID in \(text)") }
    return pid
}

/// Queues in all virtual hosts.
func brokerQueueCount(node: String) throws -> Int {
    var count = 0
    for vhost in try rabbitmqctl(node: node, "list_vhosts", "--quiet", "--no-table-headers").split(separator: "\n") {
        count += try rabbitmqctl(node: node, "list_queues", "-p", String(vhost), "--quiet", "--no-table-headers", "name")
            .split(separator: "\n").count
    }
    return count
}

/// A RabbitMQ virtual host of the benchmark's own (guest may use it), and its AMQP URL on loopback.
struct BenchVirtualHost {
    let node: String
    let name = "mailpool-bench-\(UUID().uuidString.prefix(8).lowercased())"
    var url: String { "amqp://guest:guest@127.0.0.1:5672/\(name)" }

    init(node: String) throws {
        self.node = node
        try rabbitmqctl(node: node, "add_vhost", name)
        try rabbitmqctl(node: node, "set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    }

    /// A connection to it, logging errors only.
    func connect(_ connectionName: String) async throws -> AMQPConnection {
        var quiet = Logger(label: "bench")
        quiet.logLevel = .error
        return try await AMQPConnection.connect(AMQPConnectionOptions(urls: [try AMQPURL(url)], connectionName: connectionName), logger: quiet)
    }

    func delete() {
        _ = try? rabbitmqctl(node: node, "delete_vhost", name)
    }
}
