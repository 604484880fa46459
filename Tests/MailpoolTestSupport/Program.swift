import Foundation

/// Runs a program to its end and returns its exit status and standard output (standard error too
/// when `mergingErrors`).
///
/// The wait happens on a thread of GCD's, never on one of Swift's cooperative pool: that pool has one
/// thread per core (two in CI), and it also serves the in-process Graph sandboxes, the brokers'
/// consumers and every other test running in parallel. A test that blocks one of those threads while
/// `rabbitmqctl` boots an Erlang VM starves all of them.
public func runProgram(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                       mergingErrors: Bool = false) async throws -> (status: Int32, output: String) {
    let process = Process()
    let output = Pipe()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    process.standardOutput = output
    process.standardError = mergingErrors ? output : FileHandle.nullDevice
    try process.run()
    return await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            continuation.resume(returning: (process.terminationStatus, text))
        }
    }
}

/// Runs `arguments[0]`, looked up on `PATH`, with the remaining arguments (see ``runProgram(_:_:environment:mergingErrors:)``).
public func runCommand(_ arguments: [String], environment: [String: String]? = nil,
                       mergingErrors: Bool = false) async throws -> (status: Int32, output: String) {
    try await runProgram(URL(fileURLWithPath: "/usr/bin/env"), arguments, environment: environment, mergingErrors: mergingErrors)
}

/// Waits for `process` to exit without blocking a thread of Swift's cooperative pool.
public func waitForExit(_ process: Process) async {
    while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
}
