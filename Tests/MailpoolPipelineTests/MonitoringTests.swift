import Foundation
import GraphSandbox
import MailpoolCurl
import MailpoolNotifications
import MailpoolPipeline
import MailpoolTestSupport
import Testing

/// A whole pool as an operator runs it, watched by a real Prometheus: a poller, a fetch worker and a
/// notification worker (processes, each with `--metrics-port`) and RabbitMQ's own Prometheus plugin.
@Suite struct MonitoringTests {
    static let monitoring = repositoryPath("deploy/monitoring")

    /// Through Prometheus's HTTP API: the notification queue's depth as RabbitMQ reports it matches
    /// what was enqueued, and after the run mailpool's sent and dead-lettered counters match both the
    /// broker's queues and the sandbox's record; the inbound counters match the mailbox. The alert rules
    /// load, and every metric the dashboard and the alerts name is one this pool exports.
    @Test func prometheusSeesThePoolAndTheBrokerAgree() async throws {
        let fixture = try await PipelineFixture(mailboxes: 1)
        let mailbox = fixture.mailboxes[0]
        func outbound(_ name: String, mailbox: String, client: String, secret: String) -> String {
            #"{"name": "\#(name)", "outbound": {"protocol": "GRAPH", "mailbox": "\#(mailbox)", "active": true, "tenantId": "\#(PipelineFixture.tenant)", "clientId": "\#(client)", "clientSecret": "\#(secret)", "authority": "\#(fixture.running.baseURL)", "graphBaseURL": "\#(fixture.running.baseURL)"}}"#
        }
        try fixture.writeAccounts(active: [mailbox], extra: [
            outbound("Notifier", mailbox: mailbox, client: PipelineFixture.client, secret: PipelineFixture.secret),
            outbound("Expired", mailbox: "expired@contoso.example", client: PipelineFixture.expiredClient, secret: PipelineFixture.expiredSecret),
        ])
        // Four good messages and one whose MIME always fails (quarantined at its first failure); the
        // first Graph request is throttled.
        for index in 0..<5 {
            try await fixture.sandbox.seed(SeedMessage(subject: "COA \(index)", to: [mailbox], mimeFailureStatus: index == 2 ? 500 : nil), to: mailbox)
        }
        await fixture.sandbox.setFaults(SandboxFaults(script: [.init(status: 429, retryAfterSeconds: 1)]))

        // 20 notifications from Notifier and one from Expired, enqueued before any worker runs.
        let connection = try await fixture.notificationConnection()
        for index in 0..<20 {
            var request = notification("mon-\(index)")
            request.account = "Notifier"
            try await fixture.enqueue(request, on: connection)
        }
        var expired = notification("mon-expired")
        expired.account = "Expired"
        try await fixture.enqueue(expired, on: connection)

        let ports = (poller: try freePort(), fetch: try freePort(), notify: try freePort())
        let common = ["--accounts", fixture.accountsPath]
        let log = { (name: String) in fixture.directory.appendingPathComponent("\(name).log").path }
        let processes = [
            try MailpoolProcess.start(["poller", "--metrics-port", "\(ports.poller)"] + common, amqpURL: fixture.vhostURL, standardError: log("poller")),
            try MailpoolProcess.start(["fetch-worker", "--metrics-port", "\(ports.fetch)", "--quarantine-after", "1", "--default-events-queue",
                                       "--store", fixture.directory.appendingPathComponent("store-process").path] + common,
                                      amqpURL: fixture.vhostURL, standardError: log("fetch-worker")),
        ]
        let engine = CurlEngine(name: "test-monitoring")
        fixture.track(engine)
        let prometheus = try PrometheusServer(jobs: [
            .init(name: "mailpool", targets: ["127.0.0.1:\(ports.poller)", "127.0.0.1:\(ports.fetch)", "127.0.0.1:\(ports.notify)"]),
            .init(name: "rabbitmq", path: "/metrics/per-object", targets: ["127.0.0.1:15692"]),
        ], rules: "\(Self.monitoring)/alerts.yml", directory: fixture.directory, engine: engine)
        defer { prometheus.process.terminate() }  // also when the test fails part way; the end awaits its exit
        let queue = { (name: String) in #"rabbitmq_queue_messages{vhost="\#(fixture.vhost)",queue="\#(name)"}"# }

        // RabbitMQ's plugin refreshes its queue figures every 5 s.
        try await eventually(within: 180, "Prometheus never saw the 21 waiting notifications") {
            await prometheus.value(queue(NotificationNames.queue)) == 21
        }
        let notifier = try MailpoolProcess.start(
            ["notification-worker", "--metrics-port", "\(ports.notify)", "--per-minute", "0", "--retry-ladder", "0.2,0.4,0.8",
             "--dedupe", fixture.directory.appendingPathComponent("dedupe").path] + common, amqpURL: fixture.vhostURL,
            standardError: log("notification-worker"))
        let expected: [(String, Double)] = [
            ("sum(mailpool_notifications_sent_total)", 20), ("sum(mailpool_notifications_dead_lettered_total)", 1),
            (queue(NotificationNames.queue), 0), (queue(NotificationNames.deadQueue), 1),
            ("sum(mailpool_fetched_messages_total)", 4), ("sum(mailpool_quarantined_messages_total)", 1),
        ]
        var seen: [String: Double] = [:]
        let fetchLog = { (try? String(contentsOfFile: log("fetch-worker"), encoding: .utf8))?.split(separator: "\n").suffix(20).joined(separator: "\n") ?? "" }
        try await eventually(within: 120, "Prometheus never saw the run's end: \(seen)\nthe fetch worker's last lines:\n\(fetchLog())") {
            for (expression, _) in expected { seen[expression] = await prometheus.value(expression) }
            return expected.allSatisfy { seen[$0.0] == $0.1 }
        }
        #expect(await fixture.sentCounts().count == 20)

        // `mailpool status` shows each sender's recent sends and its last error, from the workers' snapshots.
        try await eventually(within: 120, "status never showed the senders' activity") {
            let run = try await MailpoolProcess.run(["status", "--json", "--accounts", fixture.accountsPath], amqpURL: fixture.vhostURL,
                                                    environment: ["MAILPOOL_MANAGEMENT_URL": "http://guest:guest@127.0.0.1:15672"])
            let status = (try? JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any]) ?? [:]
            let outbound = Dictionary((status["accounts"] as? [[String: Any]] ?? []).compactMap { account in
                (account["outbound"] as? [String: Any]).map { (account["name"] as? String ?? "", $0) }
            }) { $1 }
            return (outbound["Notifier"]?["sentLastMinute"] as? Int ?? 0) > 0
                && (outbound["Expired"]?["lastError"] as? String)?.contains("AADSTS7000222") == true
        }
        let depths = try await fixture.queueDepths()
        #expect(depths[NotificationNames.deadQueue] == 1, "the broker's queues: \(depths)")
        #expect(await prometheus.value(#"mailpool_notifications_dead_lettered_total{account="Expired",reason="configuration"}"#) == 1)
        #expect(await prometheus.value("sum(mailpool_graph_throttled_total)") == 1)
        #expect(await prometheus.value("max(mailpool_poller_leading)") == 1)
        #expect(await prometheus.value(#"count(up{job="mailpool"} == 1)"#) == 3)
        let rules = await prometheus.get("/rules") as? [String: Any]
        let alerting = (rules?["groups"] as? [[String: Any]] ?? []).flatMap { $0["rules"] as? [[String: Any]] ?? [] }
        #expect(alerting.filter { $0["type"] as? String == "alerting" }.count == 9)

        // Every metric the dashboard and the alerts name is one this pool exports.
        let exported = await prometheus.metricNames()
        let dashboard = try String(contentsOfFile: "\(Self.monitoring)/dashboard.json", encoding: .utf8)
        #expect(try JSONSerialization.jsonObject(with: Data(dashboard.utf8)) is [String: Any], "dashboard.json does not parse")
        let alerts = try String(contentsOfFile: "\(Self.monitoring)/alerts.yml", encoding: .utf8)
        let alertQueries = alerts.split(separator: "\n").filter { $0.contains("expr:") }.map(String.init)
        let named = Self.metricNames(in: try Self.dashboardQueries(dashboard) + alertQueries)
        #expect(!named.isEmpty)
        #expect(named.subtracting(exported).isEmpty, "named but not exported: \(named.subtracting(exported).sorted())")

        for process in processes + [notifier] { await process.stop() }
        await prometheus.stop()
        await fixture.stop()
    }

    /// The `expr` of every panel target, nested rows included.
    static func dashboardQueries(_ json: String) throws -> [String] {
        func walk(_ panels: [[String: Any]]) -> [String] {
            panels.flatMap { panel in
                ((panel["targets"] as? [[String: Any]]) ?? []).compactMap { $0["expr"] as? String } + walk(panel["panels"] as? [[String: Any]] ?? [])
            }
        }
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return walk(dashboard["panels"] as? [[String: Any]] ?? [])
    }

    /// The mailpool and RabbitMQ metric names in `texts`.
    static func metricNames(in texts: [String]) -> Set<String> {
        let pattern = /\b(?:mailpool|rabbitmq)_[a-z0-9_]+/
        return Set(texts.flatMap { $0.matches(of: pattern).map { String($0.output) } })
    }
}
