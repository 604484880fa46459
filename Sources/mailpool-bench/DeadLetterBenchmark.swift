import ArgumentParser
import Foundation
import MailpoolAMQP
import MailpoolNotifications

/// `mailpool-bench dlq`: fills the notification dead-letter queue of a virtual host of its own with
/// `--count` dead letters (four reasons, three accounts, one a second over the last `--count`
/// seconds), then runs the `mailpool dlq` commands over it as an operator would: list everything,
/// list one reason, list one account since an hour ago, replay one reason. Each must see exactly
/// what was put there (the first listing in the order they were put there); it prints each command's
/// time and peak RSS, and fails on any difference.
struct DeadLetterBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dlq", abstract: "`mailpool dlq list` and `replay` over a large dead-letter queue.")

    static let reasons = ["permanent", "outcome-unknown", "retries-exhausted: after 5 attempts", "invalid: no recipient"]
    static let accounts = ["Sales", "Quality", "Billing"]

    @Option(help: "Dead letters to fill the queue with.") var count = 100_000
    @Option(help: "RabbitMQ node for rabbitmqctl.") var node = "rabbit@localhost"

    func run() async throws {
        let vhost = try BenchVirtualHost(node: node)
        defer { vhost.delete() }
        let connection = try await vhost.connect("bench-dlq")
        try await connection.declare(NotificationNames.topology(ladder: RetryLadder(delays: [10]), deliveryLimit: NotificationNames.defaultDeliveryLimit))
        let fillStart = ContinuousClock.now
        let filled = try await fill(connection)
        print("Dead letters: \(count) in mailpool.notifications.dead (quorum), filled in \(seconds(since: fillStart)); RabbitMQ on loopback, 2 cores shared")

        let expected = (0..<count).map { (reason: Self.reasons[$0 % 4], account: Self.accounts[$0 % 3], age: count - $0) }
        let permanent = expected.filter { $0.reason == "permanent" }.count
        let salesLastHour = expected.filter { $0.account == "Sales" && $0.age <= 3000 }.count
        let outcomeUnknown = expected.filter { $0.reason == "outcome-unknown" }.count
        // A dead letter 3,000 s old at filling is about 3,000 s plus the time since then old now.
        let since = Date().addingTimeInterval(-3000 - Date().timeIntervalSince(filled)).formatted(.iso8601)
        try run(["dlq", "list"], vhost: vhost, expect: "\(count) dead letters", lines: count, ordered: true)
        try run(["dlq", "list", "--reason", "permanent"], vhost: vhost, expect: "\(permanent) of \(count) dead letters match", lines: permanent)
        try run(["dlq", "list", "--account", "Sales", "--since", since], vhost: vhost,
                expect: "\(salesLastHour) of \(count) dead letters match", lines: salesLastHour)
        try run(["dlq", "replay", "--reason", "outcome-unknown"], vhost: vhost, expect: "replayed \(outcomeUnknown)", lines: 0)
        let (dead, work) = (try await connection.queueInfo(NotificationNames.deadQueue).messageCount,
                            try await connection.queueInfo(NotificationNames.queue).messageCount)
        await connection.close()
        print("after the replay: \(dead) dead letters left, \(work) in the work queue")
        guard dead == count - outcomeUnknown, work == outcomeUnknown else {
            throw ValidationError("expected \(count - outcomeUnknown) dead letters and \(outcomeUnknown) replayed")
        }
    }

    /// Publishes the dead letters in order, 256 confirms outstanding at a time; returns the time their
    /// ages count back from.
    private func fill(_ connection: AMQPConnection) async throws -> Date {
        let now = Date()
        let body = Array(#"{"to":[{"address":"someone@example.com"}],"subject":"Certificate of analysis","text":"\#(String(repeating: "x", count: 600))"}"#.utf8)
        var batch: [OutgoingMessage] = []
        for index in 0..<count {
            let headers: AMQPTable = [
                NotificationNames.Header.deadReason: .string(Self.reasons[index % 4]),
                NotificationNames.Header.account: .string(Self.accounts[index % 3]),
                NotificationNames.Header.attempts: .int(1),
                NotificationNames.Header.deadAt: .string(now.addingTimeInterval(Double(index - count)).formatted(.iso8601)),
            ]
            batch.append(OutgoingMessage(exchange: "", routingKey: NotificationNames.deadQueue, body: body,
                                         properties: AMQPProperties(contentType: "application/json", headers: headers, messageID: "dead-\(index)")))
            if batch.count == 256 || index == count - 1 {
                try await connection.publish(batch)
                batch.removeAll()
            }
        }
        return now
    }

    /// Runs `mailpool arguments…` against the virtual host under /usr/bin/time; checks its last line
    /// and how many lines came before it (and, if `ordered`, that the dead letters came in the order
    /// they were put there), and prints its time and peak RSS.
    private func run(_ arguments: [String], vhost: BenchVirtualHost, expect last: String, lines: Int, ordered: Bool = false) throws {
        let timing = FileManager.default.temporaryDirectory.appendingPathComponent("mailpool-bench-time-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: timing) }
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        process.arguments = ["-f", "%e %M", "-o", timing,
                             URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mailpool").path]
            + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["MAILPOOL_AMQP_URL": vhost.url]) { $1 }
        process.standardOutput = output
        try process.run()
        var printed = 0
        var lastLine = ""
        var lastIndex = -1
        var inOrder = true
        for line in String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n") {
            printed += 1
            lastLine = String(line)
            if let index = line.split(separator: "\t").first.flatMap({ $0.hasPrefix("dead-") ? Int($0.dropFirst(5)) : nil }) {
                inOrder = inOrder && index > lastIndex
                lastIndex = index
            }
        }
        process.waitUntilExit()
        let measured = (try? String(contentsOfFile: timing, encoding: .utf8))?.split(separator: " ") ?? []
        let (elapsed, peakKB) = (measured.first.map(String.init) ?? "?", measured.dropFirst().first.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0)
        print("mailpool \(arguments.joined(separator: " ")): \(lastLine) in \(elapsed) s, peak RSS \(String(format: "%.1f", Double(peakKB) / 1024)) MB")
        guard inOrder || !ordered else { throw ValidationError("mailpool \(arguments.joined(separator: " ")) listed dead letters out of order") }
        guard process.terminationStatus == 0, lastLine == last, printed - 1 == lines else {
            throw ValidationError("mailpool \(arguments.joined(separator: " ")) printed \(printed - 1) lines and '\(lastLine)', expected \(lines) and '\(last)'")
        }
    }

    private func seconds(since start: ContinuousClock.Instant) -> String {
        let (whole, atto) = (ContinuousClock.now - start).components
        return String(format: "%.1f s", Double(whole) + Double(atto) / 1e18)
    }
}
