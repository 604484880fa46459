import ArgumentParser
import FoundationEssentials
import MailpoolCore
import MailpoolCurl

/// `mailpool health`: asks a long-running process on this host whether it is ready (or alive), for
/// container health checks in images that carry no HTTP client.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health", abstract: "Exits 0 when the process serving --metrics-port on this host is ready (or, with --live, alive).")

    @Option(help: "The process's metrics port (default: $MAILPOOL_METRICS_PORT).") var port: Int?
    @Flag(help: "Ask /health/live instead of /health/ready.") var live = false

    func run() async throws {
        guard let port = port ?? ProcessInfo.processInfo.environment["MAILPOOL_METRICS_PORT"].flatMap(Int.init) else {
            throw ValidationError("give --port or set MAILPOOL_METRICS_PORT")
        }
        let engine = CurlEngine(name: "mailpool-health")
        defer { engine.shutdown() }
        let url = "http://127.0.0.1:\(port)/health/\(live ? "live" : "ready")"
        let response = try? await engine.perform(HTTPRequest(url: url, timeout: 5))
        let body = response.map { String(decoding: $0.body, as: UTF8.self).trimmingWhitespace } ?? "no answer"
        print("\(url): \(response.map { "\($0.status)" } ?? "-") \(body)")
        guard response?.status == 200 else { throw ExitCode(1) }
    }
}
