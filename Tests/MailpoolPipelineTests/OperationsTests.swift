import Foundation
import GraphSandbox
import MailpoolAMQP
import MailpoolCurl
import MailpoolNotifications
import MailpoolPipeline
import MailpoolTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What an operator sees: metrics, health, JSON logs, scraped by a real Prometheus, and alert rules
/// tested by promtool.
@Suite struct OperationsTests {
    static let monitoring = repositoryPath("deploy/monitoring")

    /// `promtool check rules` and `promtool test rules`: each alert fires on the series meant to fire
    /// it, with its labels and text, and not before its `for`.
    @Test func alertRulesPassPromtool() async throws {
        #expect(try await run("/usr/bin/promtool", "check", "rules", "\(Self.monitoring)/alerts.yml").status == 0)
        let test = try await run("/usr/bin/promtool", "test", "rules", "\(Self.monitoring)/alerts.test.yml")
        #expect(test.status == 0, "\(test.output)")
    }

    /// A notification worker process with `--metrics-port` and `--log-format json`, whose broker URL
    /// carries a wrong password and the right one in `MAILPOOL_AMQP_PASSWORD_FILE` (a container secret):
    /// ready once it is connected (`mailpool health` says so too); its metrics count the notifications it
    /// sent, per account, with no recipient or ID in a label; every log line is a JSON object, and those
    /// about a notification carry its account, ID and correlation fields.
    @Test func aWorkerServesMetricsAndHealthAndLogsJSON() async throws {
        let fixture = try await PipelineFixture(mailboxes: 2)
        try fixture.writeNotificationAccounts()
        let connection = try await fixture.notificationConnection()
        let port = try freePort()
        let log = fixture.directory.appendingPathComponent("worker.log").path
        let passwordFile = fixture.directory.appendingPathComponent("amqp-password").path
        try "guest\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let wrongPassword = fixture.vhostURL.replacingOccurrences(of: "guest:guest@", with: "guest:not-the-password@")
        #expect(wrongPassword != fixture.vhostURL)
        let worker = try MailpoolProcess.start(
            ["notification-worker", "--accounts", fixture.accountsPath, "--dedupe", fixture.directory.appendingPathComponent("dedupe").path,
             "--per-minute", "0", "--retry-ladder", "0.2,0.4,0.8", "--metrics-port", "\(port)"],
            amqpURL: wrongPassword, environment: ["MAILPOOL_LOG_FORMAT": "json", "MAILPOOL_LOG_LEVEL": "debug",
                                                  "MAILPOOL_AMQP_PASSWORD_FILE": passwordFile], standardError: log)
        let engine = CurlEngine(name: "test-operations")
        fixture.track(engine)
        func get(_ url: String) async -> (Int, String) {
            guard let response = try? await engine.perform(HTTPRequest(url: url, timeout: 5)) else { return (0, "") }
            return (response.status, String(decoding: response.body, as: UTF8.self))
        }
        try await eventually(within: 120, "the worker never became ready") { await get("http://127.0.0.1:\(port)/health/ready").0 == 200 }
        #expect(await get("http://127.0.0.1:\(port)/health/live").0 == 200)
        #expect(try await runProgram(MailpoolProcess.executable, ["health", "--port", "\(port)"]).status == 0)

        for index in 0..<3 { try await fixture.enqueue(notification("ops-\(index)"), on: connection) }
        try await eventually(within: 120, "not all sent") { await fixture.sentCounts().count == 3 }
        try await eventually(within: 120, "the sent counter does not say 3") {
            await get("http://127.0.0.1:\(port)/metrics").1.contains(#"mailpool_notifications_sent_total{account="Notifier"} 3"#)
        }
        let metrics = await get("http://127.0.0.1:\(port)/metrics").1
        for name in ["mailpool_graph_requests_total", "mailpool_token_requests_total", "mailpool_notification_send_latency_seconds_bucket",
                     "mailpool_jobs_in_flight"] {
            #expect(metrics.contains(name), "\(name) missing from /metrics")
        }
        #expect(!metrics.contains("buyer@customer.example") && !metrics.contains("ops-0"), "a recipient or an ID in a label")
        // Graph operations are labelled by kind, IDs replaced: the draft, then its send.
        for operation in ["POST messages", "POST messages/{id}/send"] {
            #expect(metrics.contains("operation=\"\(operation)\""), "no Graph requests labelled \(operation)")
        }

        await worker.stop()
        #expect(try await runProgram(MailpoolProcess.executable, ["health", "--port", "\(port)", "--live"]).status != 0)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(!lines.isEmpty)
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == lines.count, "a log line is not a JSON object")
        let sent = objects.filter { $0["msg"] as? String == "sent" }
        #expect(sent.count == 3)
        #expect(sent.allSatisfy { $0["mailpool.account"] as? String == "Notifier" && ($0["mailpool.notification.id"] as? String)?.hasPrefix("ops-") == true
            && $0["correlation.car"] != nil && $0["level"] as? String == "debug" })
        await fixture.stop()
    }

    /// `mailpool status --json` against a running pool: the pipeline's queues, the leading poller and
    /// its standby (two processes), and per account what the workers reported (last success, messages
    /// this hour, the expired secret's error and needs-attention), read from the broker by a separate
    /// process; then the dead letters by reason, and the standby leading once the leader is killed.
    @Test func statusShowsQueuesPollersAndAccounts() async throws {
        let fixture = try await PipelineFixture(mailboxes: 1)
        let mailbox = fixture.mailboxes[0]
        try fixture.writeAccounts(active: [mailbox], extra: [fixture.graphAccount(
            name: "Expired", mailbox: "expired@contoso.example", client: PipelineFixture.expiredClient,
            secret: PipelineFixture.expiredSecret, active: true)])
        try await fixture.seed(5, to: mailbox)
        let events = try await fixture.collectEvents()
        let leader = try MailpoolProcess.start(["poller", "--accounts", fixture.accountsPath], amqpURL: fixture.vhostURL)
        try await eventually(within: 120, "no poller connected") {
            try await fixture.connect("test-status-probe").queueInfo(PipelineNames.fetchReportsQueue).consumerCount == 1
        }
        let standby = try MailpoolProcess.start(["poller", "--accounts", fixture.accountsPath], amqpURL: fixture.vhostURL)
        try await fixture.startWorker()
        try await eventually(within: 120, "\(events.count) of 5 events") { events.count == 5 }
        let management = ["MAILPOOL_MANAGEMENT_URL": "http://guest:guest@127.0.0.1:15672"]
        var status: [String: Any] = [:]
        // The management API lists connections from statistics it gathers every 5 s.
        try await eventually(within: 120, "status never showed both accounts' outcomes and both pollers") {
            let run = try await MailpoolProcess.run(["status", "--json", "--accounts", fixture.accountsPath], amqpURL: fixture.vhostURL,
                                              environment: management)
            status = (try? JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any]) ?? [:]
            let accounts = status["accounts"] as? [[String: Any]] ?? []
            let inbound = accounts.compactMap { $0["inbound"] as? [String: Any] }
            return inbound.contains { $0["fetchedThisHour"] as? Int == 5 && $0["lastSuccess"] != nil }
                && inbound.contains { $0["needsAttention"] as? Bool == true && ($0["lastError"] as? String)?.contains("AADSTS7000222") == true }
                && status["leadingPoller"] != nil && (status["standbyPollers"] as? [String])?.count == 1
        }
        let queues = (status["queues"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(Set(["mailpool.fetch", "mailpool.fetch.reports", "mailpool.poller.state", "mailpool.inbound.events"]).isSubset(of: Set(queues)))
        #expect((status["leadingPoller"] as? String)?.hasPrefix("mailpool-poller (") == true)
        #expect((status["standbyPollers"] as? [String])?.count == 1)
        let table = try await MailpoolProcess.run(["status", "--accounts", fixture.accountsPath], amqpURL: fixture.vhostURL, environment: management)
        #expect(table.status == 0 && table.output.contains("NEEDS ATTENTION") && table.output.contains("leading:  mailpool-poller"))
        #expect(!table.output.contains("pipeline~old-secret") && !table.output.contains("guest:guest"))

        // Dead letters of three reasons (one the broker's own), and the leader killed: status counts
        // them by reason and shows the standby leading, with no standby left.
        let leaderName = status["leadingPoller"] as? String
        let connection = try await fixture.notificationConnection()
        for (index, headers) in [[NotificationNames.Header.deadReason: AMQPValue.string("permanent")],
                                 [NotificationNames.Header.deadReason: .string("permanent")],
                                 [NotificationNames.Header.deadReason: .string("outcome-unknown")],
                                 ["x-first-death-reason": .string("delivery_limit")]].enumerated() {
            try await connection.publish(OutgoingMessage(exchange: "", routingKey: NotificationNames.deadQueue, body: Array("{}".utf8),
                                                         properties: AMQPProperties(headers: headers, messageID: "dead-\(index)")))
        }
        leader.kill()
        try await eventually(within: 120, "status never showed the dead letters by reason and the standby leading") {
            let run = try await MailpoolProcess.run(["status", "--json", "--accounts", fixture.accountsPath], amqpURL: fixture.vhostURL,
                                                    environment: management)
            status = (try? JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any]) ?? [:]
            return status["deadLettersByReason"] as? [String: Int] == ["permanent": 2, "outcome-unknown": 1, "delivery-limit": 1]
                && status["leadingPoller"] as? String != nil && status["leadingPoller"] as? String != leaderName
                && (status["standbyPollers"] as? [String])?.isEmpty == true
        }
        await standby.stop()
        await fixture.stop()
    }

    /// The dead-letter tools past the old 10,000 ceiling (CI's short run of `mailpool-bench dlq`; the
    /// README gives the 100,000 figures): `dlq list` with and without filters sees exactly what was put
    /// there, `dlq replay --reason` moves exactly that reason's dead letters, and the CLI's memory stays
    /// that of a few messages.
    @Test func deadLettersPastTenThousandAreListedFilteredAndReplayed() async throws {
        let bench = MailpoolProcess.executable.deletingLastPathComponent().appendingPathComponent("mailpool-bench")
        let run = try await runProgram(bench, ["dlq", "--count", "12000"], mergingErrors: true)
        #expect(run.status == 0, "\(run.output)")
        let peaks = run.output.matches(of: /peak RSS ([0-9.]+) MB/).compactMap { Double($0.output.1) }
        #expect(peaks.count == 4 && peaks.allSatisfy { $0 < 64 }, "\(run.output)")
    }

    /// `--version`; a worker asked for no concurrency is refused by the parser with the reason, not by
    /// a crash; `notify --help` shows no random default id.
    @Test func theCommandLineRefusesNonsenseAndSaysItsVersion() async throws {
        let version = try await MailpoolProcess.run(["--version"], amqpURL: "")
        #expect(version.status == 0 && version.output.hasPrefix("mailpool "))
        for command in ["fetch-worker", "notification-worker"] {
            let refused = try await run(MailpoolProcess.executable.path, command, "--concurrency", "0")
            #expect(refused.status != 0 && refused.output.contains("--concurrency must be at least 1"), "\(command): \(refused.output)")
        }
        let help = try await MailpoolProcess.run(["notify", "--help"], amqpURL: "")
        #expect(help.output.contains("Idempotency key (default: a new UUID)."))
        #expect(help.output.firstMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/) == nil, "a random id in the help")
    }

    /// The worker's memory budget rests on this: the executable loads `FoundationEssentials` and
    /// neither Foundation, CoreFoundation nor ICU (with swift-crypto, which imports Foundation, they were
    /// 5.5 MB of each worker's peak resident memory).
    @Test func theExecutableLinksNeitherFoundationNorICU() async throws {
        let libraries = try await run("/usr/bin/ldd", MailpoolProcess.executable.path)
        #expect(libraries.status == 0, "\(libraries.output)")
        let foundation = libraries.output.split(separator: "\n").filter {
            $0.contains("libFoundation.so") || $0.contains("libFoundationInternationalization") || $0.contains("ICU")
        }
        #expect(foundation.isEmpty, "\(foundation)")
    }

    private func run(_ arguments: String...) async throws -> (status: Int32, output: String) {
        try #require(FileManager.default.isExecutableFile(atPath: arguments[0]), "\(arguments[0]) is missing: install Debian's prometheus")
        return try await runProgram(URL(fileURLWithPath: arguments[0]), Array(arguments.dropFirst()), mergingErrors: true)
    }
}

/// A TCP port nothing listens on now (the system's choice for port 0).
func freePort() throws -> Int {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
    }
    try #require(bound, "cannot find a free port")
    return Int(UInt16(bigEndian: address.sin_port))
}
