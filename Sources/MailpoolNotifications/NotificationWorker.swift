import Foundation
import Logging
import MailpoolAMQP
import MailpoolAccounts
import ServiceLifecycle

/// Sends the notifications other systems enqueue on `mailpool.notifications`.
///
/// Per message: validate (bad input is dead-lettered at once with its reason); skip it if its ID was
/// already accepted (dedupe record, and — after a retry or redelivery — the sender's Sent Items); wait
/// for the sender mailbox's rate slot; send; record the ID; ack. A transient failure moves it to the
/// next delay queue of the retry ladder (holding no worker), with the attempt count and error history
/// in headers; a permanent one, an account still misconfigured after `configurationAttempts`, or an
/// exhausted ladder sends it to `mailpool.notifications.dead`.
public struct NotificationWorker: Service {
    public struct Options: Sendable {
        public var concurrency: UInt16
        public var ladder: RetryLadder
        public var configurationAttempts: Int
        public var validator: NotificationValidator

        public init(concurrency: UInt16 = 32, ladder: RetryLadder = RetryLadder(), configurationAttempts: Int = 3,
                    validator: NotificationValidator = NotificationValidator()) {
            self.concurrency = concurrency
            self.ladder = ladder
            self.configurationAttempts = configurationAttempts
            self.validator = validator
        }
    }

    let connection: AMQPConnection
    let catalog: AccountCatalog
    let senders: [String: any NotificationSender]
    let dedupe: DedupeStore
    let rate: SendRateLimiter?
    let options: Options
    let logger: Logger

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
    }

    public func run() async throws {
        try await connection.declare(NotificationNames.topology(ladder: options.ladder))
        try await connection.consume(queue: NotificationNames.queue, prefetch: options.concurrency).handleConcurrently(handle)
    }

    func handle(_ delivery: AMQPDelivery) async {
        let attempts = Int(delivery.properties.headers[NotificationNames.Header.attempts]?.intValue ?? 0)
        catalog.reloadIfChanged()
        let notification: ValidatedNotification
        switch options.validator.validate(delivery.body, accounts: catalog) {
        case .failure(let rejection):
            logger.error("notification rejected", metadata: ["reason": "\(rejection)", "mailpool.notification.id": "\(delivery.properties.messageID ?? "-")"])
            await deadLetter(delivery, reason: rejection.description, error: nil, attempts: attempts)
            return
        case .success(let valid):
            notification = valid
        }
        var logger = self.logger
        logger[metadataKey: "mailpool.notification.id"] = "\(notification.request.id)"
        logger[metadataKey: "mailpool.account"] = "\(notification.account.name)"
        for (key, value) in notification.request.correlation ?? [:] { logger[metadataKey: "correlation.\(key)"] = "\(value)" }
        guard let sender = senders[notification.outbound.server.protocolName] else {
            await deadLetter(delivery, reason: "unsupported: \(notification.outbound.server.protocolName) sending is not available", error: nil, attempts: attempts)
            return
        }
        do {
            if dedupe.contains(notification.request.id, thorough: attempts > 0 || delivery.redelivered) {
                logger.info("already sent; not sending again")
                delivery.ack()
                return
            }
            if attempts > 0 || delivery.redelivered, try await sender.alreadySent(notification) {
                logger.info("an earlier attempt was accepted; not sending again")
                try dedupe.record(notification.request.id)
                delivery.ack()
                return
            }
            try await rate?.acquire(sender: notification.outbound.mailbox)
            try await sender.send(notification)
            try dedupe.record(notification.request.id)
            logger.debug("sent", metadata: ["attempt": "\(attempts + 1)"])
            delivery.ack()
        } catch is CancellationError {
            delivery.nack(requeue: true)
        } catch {
            await failed(delivery, error: error, attempts: attempts + 1, logger: logger)
        }
    }

    private func failed(_ delivery: AMQPDelivery, error: any Error, attempts: Int, logger: Logger) async {
        let failure = SendFailure(error)
        let step: Int?
        switch failure {
        case .permanent: step = nil
        case .configuration: step = attempts < options.configurationAttempts ? options.ladder.step(afterFailure: attempts, retryAfter: nil) : nil
        case .transient(let retryAfter): step = options.ladder.step(afterFailure: attempts, retryAfter: retryAfter)
        }
        guard let step else {
            let reason = switch failure {
            case .permanent: "permanent"
            case .configuration: "account misconfigured after \(attempts) attempts"
            case .transient: "retries exhausted after \(attempts) attempts"
            }
            logger.error("notification dead-lettered", metadata: ["reason": "\(reason)", "error": "\(error)"])
            await deadLetter(delivery, reason: reason, error: error, attempts: attempts)
            return
        }
        logger.warning("send failed; retrying later", metadata: ["error": "\(error)", "attempt": "\(attempts)",
                                                                 "retry_in_s": "\(Int(options.ladder.delays[step]))"])
        await forward(delivery, to: NotificationNames.retryQueue(delay: options.ladder.delays[step]),
                      headers: history(delivery, error: error, attempts: attempts))
    }

    private func deadLetter(_ delivery: AMQPDelivery, reason: String, error: (any Error)?, attempts: Int) async {
        var headers = error.map { history(delivery, error: $0, attempts: attempts) } ?? delivery.properties.headers
        headers[NotificationNames.Header.attempts] = .int(Int64(attempts))
        headers[NotificationNames.Header.deadReason] = .string(reason)
        headers[NotificationNames.Header.deadAt] = .string(Date().formatted(.iso8601))
        await forward(delivery, to: NotificationNames.deadQueue, headers: headers)
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
    /// acks the original; if the publish fails, the original goes back to the queue instead.
    private func forward(_ delivery: AMQPDelivery, to queue: String, headers: AMQPTable) async {
        var properties = delivery.properties
        properties.headers = headers
        properties.persistent = true
        do {
            try await connection.publish(OutgoingMessage(exchange: "", routingKey: queue, body: delivery.body, properties: properties))
            delivery.ack()
        } catch {
            logger.error("cannot move the notification; it goes back to the queue", metadata: ["queue": "\(queue)", "error": "\(error)"])
            delivery.nack(requeue: true)
        }
    }
}
