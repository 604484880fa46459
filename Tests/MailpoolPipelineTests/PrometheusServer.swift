import Foundation
import MailpoolCurl
import MailpoolTestSupport
import Testing

/// Debian's Prometheus server on loopback, scraping `targets` every second with the alert rules of
/// `deploy/monitoring` loaded, and queried through its HTTP API.
struct PrometheusServer {
    /// A scrape job: its name, metrics path and `host:port` targets.
    struct Job {
        let name: String
        var path = "/metrics"
        let targets: [String]
    }

    let process: Process
    let api: String
    let engine: CurlEngine

    init(jobs: [Job], rules: String, directory: URL, engine: CurlEngine) throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/prometheus"), "install Debian's prometheus")
        let data = directory.appendingPathComponent("prometheus")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let config = data.appendingPathComponent("prometheus.yml").path
        let scrapes = jobs.map { job in
            "  - {job_name: \(job.name), metrics_path: \"\(job.path)\", static_configs: [{targets: [\(job.targets.map { "\"\($0)\"" }.joined(separator: ", "))]}]}"
        }
        try (["global: {scrape_interval: 1s, evaluation_interval: 1s}", "rule_files: [\"\(rules)\"]", "scrape_configs:"] + scrapes)
            .joined(separator: "\n").write(toFile: config, atomically: true, encoding: .utf8)
        let port = try freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
        process.arguments = ["--config.file=\(config)", "--storage.tsdb.path=\(data.path)/tsdb", "--web.listen-address=127.0.0.1:\(port)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        api = "http://127.0.0.1:\(port)/api/v1"
        self.engine = engine
    }

    /// The JSON `data` of `GET path` on the API, nil while Prometheus is not answering.
    func get(_ path: String) async -> Any? {
        guard let response = try? await engine.perform(HTTPRequest(url: api + path, timeout: 5)), response.status == 200,
              let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else { return nil }
        return object["data"]
    }

    /// An instant query's result: each series' labels and value.
    func query(_ expression: String) async -> [(labels: [String: String], value: Double)] {
        let encoded = expression.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? expression
        guard let data = await get("/query?query=\(encoded)") as? [String: Any], let result = data["result"] as? [[String: Any]] else { return [] }
        return result.compactMap { series in
            guard let value = series["value"] as? [Any], value.count == 2, let text = value[1] as? String, let number = Double(text) else { return nil }
            return (series["metric"] as? [String: String] ?? [:], number)
        }
    }

    /// The single value of `expression`, nil when it has no series.
    func value(_ expression: String) async -> Double? {
        await query(expression).first?.value
    }

    /// Every metric name Prometheus has scraped.
    func metricNames() async -> Set<String> {
        Set(await get("/label/__name__/values") as? [String] ?? [])
    }

    func stop() async {
        process.terminate()
        await waitForExit(process)
    }
}
