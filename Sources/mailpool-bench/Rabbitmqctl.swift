import ArgumentParser
import Foundation

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

/// Queues in all virtual hosts.
func brokerQueueCount(node: String) throws -> Int {
    var count = 0
    for vhost in try rabbitmqctl(node: node, "list_vhosts", "--quiet", "--no-table-headers").split(separator: "\n") {
        count += try rabbitmqctl(node: node, "list_queues", "-p", String(vhost), "--quiet", "--no-table-headers", "name")
            .split(separator: "\n").count
    }
    return count
}
