import ArgumentParser
import Foundation

/// Runs `rabbitmqctl -n node arguments…` (the benchmarks make virtual hosts of their own with it).
func rabbitmqctl(node: String, _ arguments: String...) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["rabbitmqctl", "-n", node] + arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw ValidationError("rabbitmqctl \(arguments.joined(separator: " ")) failed") }
}
