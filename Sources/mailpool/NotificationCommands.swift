import ArgumentParser
import FoundationEssentials
import Logging
import MailpoolAccounts
import MailpoolAMQP
import MailpoolCore
import MailpoolCurl
import MailpoolGraph
import MailpoolNotifications
import MailpoolPipeline
import ServiceLifecycle

/// `mailpool notify`: validates one notification and enqueues it with a publisher confirm — the same
/// path other systems take.
struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "notify", abstract: "Enqueues a notification email.")

    @OptionGroup var broker: BrokerOptions
    @OptionGroup var accounts: AccountsOptions
    @Option(help: "Idempotency key (default: a new UUID).") var id: String?
    @Option(help: "Sending account (default: the one marked useForNotification).") var account: String?
    @Option(help: "Recipient (repeatable).") var to: [String] = []
    @Option(help: "Cc recipient (repeatable).") var cc: [String] = []
    @Option(help: "Bcc recipient (repeatable).") var bcc: [String] = []
    @Option(name: .customLong("reply-to"), help: "Reply-to address (repeatable).") var replyTo: [String] = []
    @Option(help: "Subject.") var subject: String
    @Option(help: "Plain-text body.") var text: String?
    @Option(help: "HTML body.") var html: String?
    @Option(help: "File to attach (repeatable); its type is guessed from the extension.") var attach: [String] = []
    @Option(help: "low, normal or high.") var importance: String?
    @Option(help: "Correlation field key=value, echoed into logs (repeatable).") var correlation: [String] = []
    @Option(help: "The work queue's delivery limit, as the workers declare it.") var deliveryLimit = NotificationNames.defaultDeliveryLimit

    func run() async throws {
        let id = self.id ?? UUID().uuidString.lowercased()
        func addresses(_ list: [String]) -> [NotificationRequest.Address]? {
            list.isEmpty ? nil : list.map { NotificationRequest.Address(address: $0) }
        }
        var attachments: [NotificationRequest.Attachment] = []
        for path in attach {
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
            attachments.append(.init(name: URL(filePath: path).lastPathComponent, contentType: Self.contentType(of: path),
                                     contentBase64: data.base64EncodedString()))
        }
        let fields = Dictionary(correlation.compactMap { pair -> (String, String)? in
            let parts = pair.split(separator: "=", maxSplits: 1)
            return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
        }, uniquingKeysWith: { $1 })
        let request = NotificationRequest(
            id: id, account: account, to: addresses(to) ?? [], cc: addresses(cc), bcc: addresses(bcc), replyTo: addresses(replyTo),
            subject: subject, text: text, html: html, attachments: attachments.isEmpty ? nil : attachments, importance: importance,
            correlation: fields.isEmpty ? nil : fields)
        if case .failure(let rejection) = NotificationValidator().validate(request, accounts: try accounts.catalog()) {
            throw ValidationError("not enqueued: \(rejection)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let message = OutgoingMessage(exchange: "", routingKey: NotificationNames.queue, body: Array(try encoder.encode(request)),
                                      properties: AMQPProperties(contentType: "application/json", messageID: id,
                                                                 timestamp: UInt64(Date().timeIntervalSince1970)))
        let connection = try await AMQPConnection.connect(try broker.connectionOptions(name: "mailpool-notify"))
        do {
            try await connection.declare(Topology(queues: [NotificationNames.workQueue(deliveryLimit: deliveryLimit)]))
            try await connection.publish(message)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        print("enqueued notification \(id)")
    }

    static func contentType(of path: String) -> String {
        switch URL(filePath: path).pathExtension.lowercased() {
        case "pdf": "application/pdf"
        case "txt": "text/plain"
        case "csv": "text/csv"
        case "html", "htm": "text/html"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        default: "application/octet-stream"
        }
    }
}

/// `mailpool notification-worker`: sends the enqueued notifications.
struct NotificationWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "notification-worker", abstract: "Sends enqueued notification emails.")

    @OptionGroup var broker: BrokerOptions
    @OptionGroup var accounts: AccountsOptions
    @Option(help: "Directory of the dedupe records (a volume shared by the pool).") var dedupe = "notification-dedupe"
    @Option(help: "Hours a sent notification's id is remembered (kept in memory, about 32 bytes per id).") var dedupeHours = 24.0
    @Option(help: "Notifications sent at once.") var concurrency: UInt16 = 32
    @Option(help: "Retry delays in seconds, comma-separated.") var retryLadder = "10,60,300,1800,7200"
    @Option(help: "Seconds a worker holds a notification of the retry ladder before giving it back and taking it again; keep it below the broker's consumer_timeout (30 minutes by default).")
    var retryHoldLimit = 600.0
    @Option(help: "Messages per minute per sender mailbox across the pool (0: no limit).") var perMinute = 30
    @Option(help: "Graph requests per 10 minutes per mailbox the worker paces itself to (0: no pacing).") var requestQuota = 10_000
    @Option(help: "Deliveries of one notification before the broker dead-letters it (every worker and notify must agree).")
    var deliveryLimit = NotificationNames.defaultDeliveryLimit
    @Option(help: "Largest notification accepted, in bytes; a larger one is dead-lettered unread.") var maxBytes = 25 * 1024 * 1024
    @Option(help: "Most recipients (to, cc and bcc) of one notification.") var maxRecipients = 500
    @Option(help: "Seconds a Graph draft may wait for its send to go out.") var sendWindow = 60.0
    @Option(help: "Seconds each Graph request may take.") var requestTimeout = 120.0
    @Option(help: "Seconds Graph may take to carry out a send and file it in Sent Items. A draft still unsent after the send window, the request timeout and this was certainly not sent.")
    var filingAllowance = 60.0
    @OptionGroup var operations: OperationsOptions

    func validate() throws {
        guard concurrency > 0 else { throw ValidationError("--concurrency must be at least 1") }
        guard perMinute >= 0, requestQuota >= 0 else { throw ValidationError("--per-minute and --request-quota cannot be negative") }
        guard deliveryLimit > 0, maxBytes > 0, maxRecipients > 0 else {
            throw ValidationError("--delivery-limit, --max-bytes and --max-recipients must be at least 1")
        }
        guard retryHoldLimit > 0 else { throw ValidationError("--retry-hold-limit must be positive") }
        guard sendWindow > 0, requestTimeout > 0, filingAllowance >= 0 else {
            throw ValidationError("--send-window and --request-timeout must be positive, --filing-allowance not negative")
        }
    }

    func run() async throws {
        let delays = retryLadder.split(separator: ",").compactMap { Double($0.trimmingWhitespace) }
        guard !delays.isEmpty, delays.allSatisfy({ $0 > 0 }) else { throw ValidationError("--retry-ladder needs positive numbers") }
        guard dedupeHours > 0 else { throw ValidationError("--dedupe-hours must be positive") }
        let context = GraphContext(pacing: requestQuota > 0 ? RequestPacing(requestsPerWindow: requestQuota) : nil,
                                   requestTimeout: requestTimeout)
        defer { context.engine.shutdown() }
        let dedupe = try DedupeStore(root: dedupe, window: dedupeHours * 3600)
        let ladder = RetryLadder(delays: delays)
        try await LongRunningProcess(name: "notification-worker", operations: operations, accounts: accounts, broker: broker,
                                     topology: NotificationNames.topology(ladder: ladder, deliveryLimit: deliveryLimit)).run { connection, catalog in
            [NotificationWorker(
                connection: connection, catalog: catalog,
                senders: ["GRAPH": GraphNotificationSender(clients: GraphClients(context: context),
                                                                 options: .init(sendWindow: sendWindow, filingAllowance: filingAllowance)),
                          "SMTP": SMTPNotificationSender(engine: context.engine)],
                dedupe: dedupe,
                rate: perMinute > 0 ? SendRateLimiter(perMinute: perMinute) : nil,
                options: .init(concurrency: concurrency, ladder: ladder,
                               validator: NotificationValidator(maxPayloadBytes: maxBytes, maxRecipients: maxRecipients),
                               deliveryLimit: deliveryLimit, ladderHoldLimit: retryHoldLimit))]
        }
    }
}
