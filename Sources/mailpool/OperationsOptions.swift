import ArgumentParser
import FoundationEssentials
import Logging
import MailpoolOperations

/// Logs, metrics and health for a long-running process; each option also reads an environment
/// variable, for containers.
struct OperationsOptions: ParsableArguments {
    @Option(help: "Port for /metrics, /health/live and /health/ready (default: $MAILPOOL_METRICS_PORT; none when unset).")
    var metricsPort: Int?

    @Option(help: "Log format: text or json (default: $MAILPOOL_LOG_FORMAT, else text).")
    var logFormat: String?

    @Option(help: "Lowest level logged: trace, debug, info, notice, warning, error, critical (default: $MAILPOOL_LOG_LEVEL, else info).")
    var logLevel: String?

    @Option(help: "Seconds the work in progress may take to finish after SIGTERM before the process stops anyway; keep it under the orchestrator's grace period.")
    var shutdownGrace = 50.0

    /// Sets up logs and metrics, and starts the metrics and health listener if a port is set.
    func start(readiness: Readiness) throws -> MetricsServer? {
        let environment = ProcessInfo.processInfo.environment
        let formatText = logFormat ?? environment["MAILPOOL_LOG_FORMAT"] ?? "text"
        guard let format = LogFormat(rawValue: formatText.lowercased()) else {
            throw ValidationError("log format '\(formatText)' is not one of \(LogFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let levelText = logLevel ?? environment["MAILPOOL_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw ValidationError("log level '\(levelText)' is not one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        Observability.bootstrap(format: format, level: level)
        guard let port = try self.port(environment) else { return nil }
        return try MetricsServer(port: port, registry: Observability.registry, readiness: readiness)
    }

    private func port(_ environment: [String: String]) throws -> Int? {
        if let metricsPort { return metricsPort }
        guard let text = environment["MAILPOOL_METRICS_PORT"], !text.isEmpty else { return nil }
        guard let port = Int(text), (0...65535).contains(port) else { throw ValidationError("MAILPOOL_METRICS_PORT '\(text)' is not a port") }
        return port
    }
}
