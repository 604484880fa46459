import Foundation
import MailpoolTestSupport
import Testing

/// The `mailpool` executable built beside the test bundle, run as a separate process (so that it can
/// be killed with SIGKILL).
struct MailpoolProcess {
    let process: Process

    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mailpool")
    }

    /// Starts `mailpool arguments…` against `amqpURL`; its standard error goes to `standardError` (a
    /// file written anew) when given, else nowhere.
    static func start(_ arguments: [String], amqpURL: String, environment extra: [String: String] = [:],
                      standardError: String? = nil) throws -> MailpoolProcess {
        try #require(FileManager.default.isExecutableFile(atPath: executable.path),
                     "build the mailpool executable first (swift build): \(executable.path)")
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["MAILPOOL_AMQP_URL"] = amqpURL
        process.environment = environment.merging(extra) { $1 }
        process.standardOutput = FileHandle.nullDevice
        if let standardError {
            FileManager.default.createFile(atPath: standardError, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: standardError)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        return MailpoolProcess(process: process)
    }

    /// Runs `mailpool arguments…` to its end; returns its exit status and standard output.
    static func run(_ arguments: [String], amqpURL: String, environment extra: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        try await runProgram(executable, arguments,
                             environment: ProcessInfo.processInfo.environment.merging(extra.merging(["MAILPOOL_AMQP_URL": amqpURL]) { $1 }) { $1 })
    }

    /// Peak resident memory so far (VmHWM), in bytes.
    var peakResidentBytes: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kilobytes * 1024
    }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then waits for the graceful stop without blocking a thread of the test's executor (the
    /// process may need the in-process sandbox, served on those threads, to finish its work).
    func stop() async {
        process.terminate()
        await waitForExit(process)
    }
}

extension PipelineFixture {
    /// The broker URL of this fixture's virtual host.
    var vhostURL: String {
        let base = Self.amqpURL.components(separatedBy: "/").prefix(3).joined(separator: "/")
        return "\(base)/\(vhost)"
    }
}
