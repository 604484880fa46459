import Logging
import Metrics
import Prometheus

/// Sets up a long-running process's logs and metrics, once, at start.
public enum Observability {
    /// The registry every metric of the process is collected in.
    public static let registry = PrometheusCollectorRegistry()

    /// Logs in `format` at `level` and above; metrics into ``registry``.
    public static func bootstrap(format: LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = switch format {
            case .text: StreamLogHandler.standardError(label: label)
            case .json: JSONLogHandler(label: label)
            }
            handler.logLevel = level
            return handler
        }
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }
}
