import Foundation
import Synchronization

/// A TCP relay (socat, a process per connection) from a port of its own on loopback to `host:port`,
/// which a test can freeze with SIGSTOP: the path then goes silent, with no error and no close, as
/// when a broker node is frozen or cut off. ``stop()`` thaws and kills it.
public struct TCPRelay: Sendable {
    /// The address it listens on: loopback.
    public let host = "127.0.0.1"
    /// The port it listens on.
    public let port: Int

    /// Starts a relay to `host:port` and waits briefly for it to listen. Each relay of the process
    /// gets a port of its own (tests run in parallel, and signals find a relay by its port); a port
    /// something else holds is skipped.
    public static func start(to host: String, port target: Int) async throws -> TCPRelay {
        for _ in 0..<20 {
            let relay = TCPRelay(port: 15_600 + nextPort.add(1, ordering: .relaxed).oldValue % 300)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["socat", "TCP-LISTEN:\(relay.port),fork,reuseaddr,bind=\(relay.host)", "TCP:\(host):\(target)"]
            process.standardError = FileHandle.nullDevice
            try process.run()
            try await Task.sleep(for: .milliseconds(300))
            if process.isRunning { return relay }   // socat ends at once when it cannot listen
        }
        throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "no free port for a TCP relay"])
    }

    private static let nextPort = Atomic<Int>(Int(getpid()) % 300)

    /// Freezes the relay and every connection through it.
    public func freeze() async { await signal("STOP") }

    /// Lets them go on.
    public func thaw() async { await signal("CONT") }

    /// Thaws and kills the relay and its connections.
    public func stop() async {
        await signal("CONT")
        await signal("KILL")
    }

    /// Sends `signal` to the relay's processes, found by their command line.
    private func signal(_ signal: String) async {
        _ = try? await runCommand(["pkill", "-\(signal)", "-f", "TCP-LISTEN:\(port),"])
    }
}
