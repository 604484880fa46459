import FoundationEssentials
import Logging
import MailpoolAccounts
import MailpoolAMQP
import MailpoolCore
import MailpoolPipeline
import ServiceLifecycle

/// Sends the notifications other systems enqueue on `mailpool.notifications`.
///
/// Per message: refuse a body over the size limit unread (the broker dead-letters it); validate (bad
/// input is dead-lettered at once with its reason); wait for any copy of the same notification this
/// process is still sending; skip it if its ID is in the dedupe record; wait for the sender mailbox's
/// rate slot; send (after a retry or redelivery the sender first finds out whether an earlier attempt
/// got through); record the ID; ack. A transient failure moves it to the next step of the retry ladder
/// (where ``RetryLadderMover``s keep it until it is due), with the attempt count and error history in
/// headers; a permanent one, an account still misconfigured after `configurationAttempts`, an
/// exhausted ladder, or an SMTP send whose outcome is unknown sends it to `mailpool.notifications.dead`.
public struct NotificationWorker: Service {
    public struct Options: Sendable {
        public var concurrency: UInt16
        public var ladder: RetryLadder
        public var configurationAttempts: Int
        public var validator: NotificationValidator
        /// Deliveries of one notification before the broker dead-letters it (`x-delivery-limit`).
        public var deliveryLimit: Int
        /// Notifications each step of the retry ladder hands this worker to hold until they are due.
        public var ladderPrefetch: UInt16
        /// The longest a worker holds a notification of the retry ladder before giving it back, in
        /// seconds: below the broker's consumer timeout (`consumer_timeout`, 30 minutes by default).
        public var ladderHoldLimit: Double

        public init(concurrency: UInt16 = 32, ladder: RetryLadder = RetryLadder(), configurationAttempts: Int = 3,
                    validator: NotificationValidator = NotificationValidator(),
                    deliveryLimit: Int = NotificationNames.defaultDeliveryLimit, ladderPrefetch: UInt16 = 16,
                    ladderHoldLimit: Double = 600) {
            self.concurrency = concurrency
            self.ladder = ladder
            self.configurationAttempts = configurationAttempts
            self.validator = validator
            self.deliveryLimit = deliveryLimit
            self.ladderPrefetch = ladderPrefetch
            self.ladderHoldLimit = ladderHoldLimit
        }
    }

    let connection: AMQPConnection
    let catalog: AccountCatalog
    let senders: [String: any NotificationSender]
    let dedupe: DedupeStore
    let rate: SendRateLimiter?
    let options: Options
    let logger: Logger
    let inFlight = InFlightNotifications()
    let activity: OutboundActivity

    /// `senders` by protocol name (GRAPH, SMTP); `rate` nil turns the per-sender limit off.
    public init(connection: AMQPConnection, catalog: AccountCatalog, senders: [String: any NotificationSender],
                dedupe: DedupeStore, rate: SendRateLimiter?, options: Options = Options(),
                logger: Logger = Logger(label: "mailpool.notification-worker")) {
        self.connection = connection
        self.catalog = catalog
        self.senders = senders
        self.dedupe = dedupe
        self.rate = rate
        self.options = options
        self.logger = logger
        activity = OutboundActivity(perMinute: rate?.perMinute ?? 0)
    }

    public func run() async throws {
        try await connection.declare(NotificationNames.topology(ladder: options.ladder, deliveryLimit: options.deliveryLimit))
        // The work queue's consumer starts after every other call that waits for the broker's reply:
        // rabbitmq-c holds every frame that arrives before a reply, so a reply sent after a large
        // notification's first frames would keep that notification in memory whole, unread or not.
        var movers: [(RetryLadderMover, AMQPConsumer)] = []
        for delay in options.ladder.delays {
            let mover = RetryLadderMover(connection: connection, step: NotificationNames.retryQueue(delay: delay),
                                         prefetch: options.ladderPrefetch, holdLimit: options.ladderHoldLimit, logger: logger)
            movers.append((mover, try await mover.consume()))
        }
        // Per-mailbox limits are the pool's: each worker takes its share, as many as consume the queue
        // (this one included once it consumes), counted again once a second (a worker joining is
        // counted by the others within a second).
        var processes = 1
        if let others = try? await connection.queueInfo(NotificationNames.queue).consumerCount {
            processes = await shareLimits(among: others + 1, was: processes)
        }
        let consumer = try await connection.consume(queue: NotificationNames.queue, prefetch: options.concurrency,
                                                    maxBodySize: options.validator.maxPayloadBytes)
        let sharing = Task { [connection, processes] in
            var processes = processes
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                if let consumers = try? await connection.queueInfo(NotificationNames.queue).consumerCount {
                    processes = await shareLimits(among: consumers, was: processes)
                }
            }
        }
        let reporting = Task { [activity, connection] in await activity.publish(on: connection) }
        defer {
            sharing.cancel()
            reporting.cancel()
        }
        try await withThrowingDiscardingTaskGroup { group in
            for (mover, stepConsumer) in movers {
                group.addTask { try await mover.run(stepConsumer) }
            }
            group.addTask { try await consumer.handleConcurrently(handle) }
        }
    }

    /// Shares the per-mailbox limits among `processes` workers (at least 1) if they were shared among
    /// `was`; returns the number now used.
    private func shareLimits(among processes: Int, was: Int) async -> Int {
        let processes = max(1, processes)
        guard processes != was else { return was }
        logger.info("sharing per-mailbox limits", metadata: ["workers": "\(processes)"])
        for sender in senders.values { await sender.shareLimits(among: processes) }
        await rate?.share(among: processes)
        return processes
    }

    func handle(_ delivery: AMQPDelivery) async {
        let attempts = Int(delivery.properties.headers[NotificationNames.Header.attempts]?.intValue ?? 0)
        if let size = delivery.oversizedBody {
            // Never assembled: the broker moves it, body intact, to the dead-letter queue (reason
            // `rejected`, shown as oversized: a worker rejects nothing else).
            logger.error("notification refused unread: over the size limit", metadata: [
                "bytes": "\(size)", "limit": "\(options.validator.maxPayloadBytes)",
                "mailpool.notification.id": "\(delivery.properties.messageID ?? "-")"])
            delivery.reject(requeue: false)
            return
        }
        catalog.reloadIfChanged()
        let notification: ValidatedNotification
        switch options.validator.validate(delivery.body, accounts: catalog) {
        case .failure(let rejection):
            logger.error("notification rejected", metadata: ["reason": "\(rejection)", "mailpool.notification.id": "\(delivery.properties.messageID ?? "-")"])
            NotificationMetrics.deadLettered(account: "unknown", reason: .rejected)
            await deadLetter(delivery, reason: rejection.description, account: nil, error: nil, attempts: attempts)
            return
        case .success(let valid):
            notification = valid
        }
        var logger = self.logger
        logger[metadataKey: "mailpool.notification.id"] = "\(notification.request.id)"
        logger[metadataKey: "mailpool.account"] = "\(notification.account.name)"
        for (key, value) in notification.request.correlation ?? [:] { logger[metadataKey: "correlation.\(key)"] = "\(value)" }
        guard let sender = senders[notification.outbound.server.protocolName] else {
            NotificationMetrics.deadLettered(account: notification.account.name, reason: .unsupported)
            await deadLetter(delivery, reason: "unsupported: \(notification.outbound.server.protocolName) sending is not available",
                             account: notification.account.name, error: nil, attempts: attempts)
            return
        }
        await inFlight.exclusively(notification.request.id) {
            NotificationMetrics.inFlight.add(1)
            defer { NotificationMetrics.inFlight.add(-1) }
            await send(notification, delivery, sender: sender, attempts: attempts, logger: logger)
        }
    }

    private func send(_ notification: ValidatedNotification, _ delivery: AMQPDelivery, sender: any NotificationSender,
                      attempts: Int, logger: Logger) async {
        let headers = delivery.properties.headers
        let replayed = headers[NotificationNames.Header.replayed] != nil
        let resuming = attempts > 0 || delivery.redelivered || replayed || headers[NotificationNames.Header.outcomePending] != nil
        do {
            if !replayed, dedupe.contains(notification.request.id, thorough: resuming) {
                logger.info("already sent; not sending again")
                delivery.ack()
                return
            }
            try await rate?.acquire(sender: notification.outbound.mailbox)
            let outcome = try await sender.send(notification, resuming: resuming, stillHeld: { delivery.isHeld })
            switch outcome {
            case .sent:
                logger.debug("sent", metadata: ["attempt": "\(attempts + 1)"])
                NotificationMetrics.sent(account: notification.account.name, enqueuedAt: delivery.properties.timestamp)
                activity.sent(account: notification.account.name)
            case .alreadySent:
                logger.info("an earlier attempt was accepted; not sending again")
            }
            record(notification.request.id, logger: logger)
            delivery.ack()
        } catch is CancellationError {
            delivery.nack(requeue: true)
        } catch where !delivery.isHeld && SendFailure(error) != .outcomeUnknown {
            // Its channel closed: the broker hands it out again, and moving this copy would duplicate it.
            // (Not so for an unknown SMTP outcome: its dead letter and record must stop the copy.)
            logger.notice("the broker took the notification back; its redelivered copy goes on", metadata: ["error": "\(error)"])
        } catch let pending as OutcomePending {
            logger.info("outcome of an earlier attempt not known yet", metadata: ["retry_in_s": "\(Int(pending.retryAfter.rounded(.up)))"])
            var headers = delivery.properties.headers
            headers[NotificationNames.Header.attempts] = .int(Int64(attempts))
            headers[NotificationNames.Header.outcomePending] = .bool(true)
            NotificationMetrics.retried(account: notification.account.name, reason: .outcomePending)
            await wait(delivery, onStep: options.ladder.step(covering: pending.retryAfter), headers: headers)
        } catch {
            await failed(delivery, notification: notification, error: error, attempts: attempts + 1, logger: logger)
        }
    }

    /// Records a notification the server accepted. If that fails it is logged and the message is acked
    /// all the same: it was sent, and sending it again or dead-lettering it as unsent would be wrong.
    /// (A later copy of it is then caught only by the sender's own check, for Graph the lookup by ID.)
    private func record(_ id: String, logger: Logger) {
        do {
            try dedupe.record(id)
        } catch {
            logger.error("sent, but the dedupe record failed; a later copy of this notification may be sent again over SMTP",
                         metadata: ["error": "\(error)"])
        }
    }

    private func failed(_ delivery: AMQPDelivery, notification: ValidatedNotification, error: any Error, attempts: Int,
                        logger: Logger) async {
        let failure = SendFailure(error)
        activity.failed(account: notification.account.name, error: "\(error)")
        let account = notification.account.name
        let step: Int?
        switch failure {
        case .permanent, .outcomeUnknown: step = nil
        case .configuration: step = attempts < options.configurationAttempts ? options.ladder.step(afterFailure: attempts, retryAfter: nil) : nil
        case .transient(let retryAfter): step = options.ladder.step(afterFailure: attempts, retryAfter: retryAfter)
        }
        guard let step else {
            let reason = switch failure {
            case .permanent: "permanent"
            case .outcomeUnknown: NotificationNames.outcomeUnknownReason
            case .configuration: "configuration: account misconfigured after \(attempts) attempts"
            case .transient: "retries-exhausted: after \(attempts) attempts"
            }
            logger.error("notification dead-lettered", metadata: ["reason": "\(reason)", "error": "\(error)"])
            let metricReason: NotificationMetrics.Reason = switch failure {
            case .permanent: .permanent
            case .outcomeUnknown: .outcomeUnknown
            case .configuration: .configuration
            case .transient: .retriesExhausted
            }
            NotificationMetrics.deadLettered(account: account, reason: metricReason)
            // The server may have it: once its dead letter is safe, the record keeps any copy of the
            // original (redelivered if this one's channel closed) from being sent again.
            if await deadLetter(delivery, reason: reason, account: account, error: error, attempts: attempts), failure == .outcomeUnknown {
                record(notification.request.id, logger: logger)
            }
            return
        }
        NotificationMetrics.retried(account: account, reason: failure == .configuration ? .configuration : .transient)
        logger.warning("send failed; retrying later", metadata: ["error": "\(error)", "attempt": "\(attempts)",
                                                                 "retry_in_s": "\(Int(options.ladder.delays[step]))"])
        await wait(delivery, onStep: step, headers: history(delivery, error: error, attempts: attempts))
    }

    /// Moves the message to a step of the retry ladder, due back after that step's delay.
    private func wait(_ delivery: AMQPDelivery, onStep step: Int, headers: AMQPTable) async {
        let delay = options.ladder.delays[step]
        var headers = headers
        headers[NotificationNames.Header.dueAt] = .int(Int64((Date().timeIntervalSince1970 + delay) * 1000))
        await forward(delivery, to: NotificationNames.retryQueue(delay: delay), headers: headers)
    }

    /// Moves the message to the dead-letter queue; false when it could not be published.
    @discardableResult
    private func deadLetter(_ delivery: AMQPDelivery, reason: String, account: String?, error: (any Error)?, attempts: Int) async -> Bool {
        var headers = error.map { history(delivery, error: $0, attempts: attempts) } ?? delivery.properties.headers
        headers[NotificationNames.Header.attempts] = .int(Int64(attempts))
        headers[NotificationNames.Header.deadReason] = .string(reason)
        headers[NotificationNames.Header.deadAt] = .string(Date().formatted(.iso8601))
        headers[NotificationNames.Header.account] = account.map { .string($0) }
        return await forward(delivery, to: NotificationNames.deadQueue, headers: headers)
    }

    /// The headers after another failed attempt: count, first and last error and time, and the last ten errors.
    private func history(_ delivery: AMQPDelivery, error: any Error, attempts: Int) -> AMQPTable {
        var headers = delivery.properties.headers
        let now = Date().formatted(.iso8601)
        let text = "\(error)"
        headers[NotificationNames.Header.attempts] = .int(Int64(attempts))
        if headers[NotificationNames.Header.firstError] == nil {
            headers[NotificationNames.Header.firstError] = .string(text)
            headers[NotificationNames.Header.firstFailedAt] = .string(now)
        }
        headers[NotificationNames.Header.lastError] = .string(text)
        headers[NotificationNames.Header.lastFailedAt] = .string(now)
        let errors = (headers[NotificationNames.Header.errors]?.arrayValue ?? []) + [.string("\(now) \(text)")]
        headers[NotificationNames.Header.errors] = .array(Array(errors.suffix(10)))
        return headers
    }

    /// Publishes the message (same body and properties, new headers) to `queue` with a confirm, then
    /// acks the original. A publish that fails (the connection dropping, say) is tried twice more, a
    /// second apart, while the connection recovers; if it still fails, the original goes back to the
    /// queue instead. Returns whether the copy was published.
    @discardableResult
    private func forward(_ delivery: AMQPDelivery, to queue: String, headers: AMQPTable) async -> Bool {
        var properties = delivery.properties
        properties.headers = headers
        properties.persistent = true
        let message = OutgoingMessage(exchange: "", routingKey: queue, body: delivery.body, properties: properties)
        for attempt in 1...3 {
            do {
                try await connection.publish(message)
                delivery.ack()
                return true
            } catch {
                logger.error("cannot move the notification", metadata: ["queue": "\(queue)", "error": "\(error)", "attempt": "\(attempt)"])
                if attempt < 3 { try? await Task.sleep(for: .seconds(1)) }
            }
        }
        delivery.nack(requeue: true)
        return false
    }
}
