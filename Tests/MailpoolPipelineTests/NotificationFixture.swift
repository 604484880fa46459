import Foundation
import GraphSandbox
import Logging
import MailpoolAMQP
import MailpoolAccounts
import MailpoolCore
import MailpoolCurl
import MailpoolGraph
import MailpoolNotifications
import MailpoolPipeline
import ServiceLifecycle
import Testing

/// Notification workers against the sandbox, in the pipeline fixture's virtual host. Accounts:
/// "Notifier" (GRAPH, Active, the default sender), "Dormant" (outbound inactive).
extension PipelineFixture {
    static let sender = "box0@contoso.example"

    func writeNotificationAccounts() throws {
        func side(_ active: Bool, _ mailbox: String) -> String {
            #"{"protocol": "GRAPH", "mailbox": "\#(mailbox)", "active": \#(active), "tenantId": "\#(Self.tenant)", "clientId": "\#(Self.client)", "clientSecret": "\#(Self.secret)", "authority": "\#(running.baseURL)", "graphBaseURL": "\#(running.baseURL)"}"#
        }
        try #"""
        {"accounts": [
          {"name": "Notifier", "useForNotification": true, "outbound": \#(side(true, Self.sender))},
          {"name": "Dormant", "outbound": \#(side(false, mailboxes[1]))}
        ]}
        """#.write(toFile: accountsPath, atomically: true, encoding: .utf8)
    }

    /// Graph timings scaled down for tests: requests time out after 5 s, a draft's send leaves within
    /// `sendWindow` (2) seconds of its creation, and Graph files sent mail within `filingAllowance` seconds.
    func startNotificationWorker(ladder: RetryLadder = RetryLadder(delays: [0.2, 0.4, 0.8]), rate: (perMinute: Int, window: Double)? = nil,
                                 maxPayload: Int = 1 << 20, clientAttempts: Int = 3, filingAllowance: Double = 1,
                                 sendWindow: Double = 2) async throws {
        let engine = CurlEngine(name: "test-notifications")
        track(engine)
        let connection = try await connect("test-notification-worker")
        let context = GraphContext(engine: engine, retry: GraphRetryPolicy(maxAttempts: clientAttempts, backoff: Backoff(initial: 0.05, maximum: 0.2)),
                                   pacing: nil, requestTimeout: 5)
        var quiet = Logger(label: "test.notifications")
        quiet.logLevel = .critical
        let worker = NotificationWorker(
            connection: connection, catalog: try catalog(),
            senders: ["GRAPH": GraphNotificationSender(clients: GraphClients(context: context),
                                                       options: .init(sendWindow: sendWindow, filingAllowance: filingAllowance))],
            dedupe: try DedupeStore(root: directory.appendingPathComponent("dedupe").path),
            rate: rate.map { SendRateLimiter(perMinute: $0.perMinute, windowSeconds: $0.window) },
            options: .init(concurrency: 32, ladder: ladder, validator: NotificationValidator(maxPayloadBytes: maxPayload)),
            logger: quiet)
        start(worker)
    }

    /// Publishes a notification (JSON of `request`, or raw `body`) with a confirm.
    func enqueue(_ request: NotificationRequest? = nil, body: [UInt8]? = nil, headers: AMQPTable = [:], on connection: AMQPConnection) async throws {
        let bytes = try body ?? Array(JSONEncoder().encode(request!))
        try await connection.publish(OutgoingMessage(exchange: "", routingKey: NotificationNames.queue, body: bytes,
                                                     properties: AMQPProperties(contentType: "application/json", headers: headers,
                                                                                messageID: request?.id,
                                                                                timestamp: UInt64(Date().timeIntervalSince1970))))
    }

    /// Enqueues `count` notifications `prefix-0` … with at most 100 publishes in flight.
    func enqueue(count: Int, prefix: String, on connection: AMQPConnection) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                if index >= 100 { try await group.next() }
                group.addTask { try await self.enqueue(notification("\(prefix)-\(index)"), on: connection) }
            }
            try await group.waitForAll()
        }
    }

    /// Notifications in this virtual host's queues, ready and unacknowledged, by queue (`rabbitmqctl
    /// list_queues`); the workers' activity snapshots are not notifications and are left out.
    func queueDepths() async throws -> [String: Int] {
        let output = try await Self.rabbitmqctl("list_queues", "-p", vhost, "name", "messages", "--quiet", "--no-table-headers")
        var depths: [String: Int] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count == 2, fields[0] != NotificationNames.activityQueue, let count = Int(fields[1]) { depths[String(fields[0])] = count }
        }
        return depths
    }

    func notificationConnection(deliveryLimit: Int = NotificationNames.defaultDeliveryLimit) async throws -> AMQPConnection {
        let connection = try await connect("test-notify")
        try await connection.declare(NotificationNames.topology(ladder: RetryLadder(delays: [0.2, 0.4, 0.8]), deliveryLimit: deliveryLimit))
        return connection
    }

    /// How many times each notification ID was sent, from the sandbox's record.
    func sentCounts() async -> [String: Int] {
        var counts: [String: Int] = [:]
        for record in await sandbox.sent(from: Self.sender) {
            counts[record.internetMessageHeaders["x-mailpool-notification-id"] ?? "?", default: 0] += 1
        }
        return counts
    }
}

func notification(_ id: String, to: String = "buyer@customer.example", subject: String = "Corrective action request") -> NotificationRequest {
    NotificationRequest(id: id, to: [.init(address: to)], subject: subject, text: "Please respond within 10 days.",
                        correlation: ["car": id])
}
