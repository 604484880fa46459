import Foundation
import Logging
import MailpoolAMQP
import MailpoolAccounts
import ServiceLifecycle
import Synchronization

/// Consumes fetch jobs and reads mailboxes: at most `concurrency` jobs at once, never two for the same
/// mailbox anywhere in the pool (a claim within the process, and an exclusive-queue lock per mailbox
/// across processes). Per job: read one batch, publish each message's event with a confirm, settle it
/// on the server; then publish a continuation job when more mail waits, or clear the mailbox's pending
/// marker; then ack. On failure the marker is replaced by one that expires after the backoff, so a
/// failing account rests instead of being retried in a loop, and the others go on.
public struct FetchWorker: Service {
    public struct Options: Sendable {
        public var concurrency: UInt16
        public var backoff: FailureBackoff
        /// How long a job waits before retrying when another job holds its mailbox.
        public var lockRetryDelay: Double
        public var staleAfterMilliseconds: Int
        /// Failures after which a message is set aside (quarantined).
        public var quarantineAfter: Int
        /// Declare ``PipelineTopology/defaultEventsQueue`` (for a pool whose consumers read it).
        public var defaultEventsQueue: Bool

        public init(concurrency: UInt16 = 8, backoff: FailureBackoff = FailureBackoff(), lockRetryDelay: Double = 2,
                    staleAfterMilliseconds: Int = 30 * 60 * 1000, quarantineAfter: Int = 3, defaultEventsQueue: Bool = false) {
            self.concurrency = concurrency
            self.backoff = backoff
            self.lockRetryDelay = lockRetryDelay
            self.staleAfterMilliseconds = staleAfterMilliseconds
            self.quarantineAfter = quarantineAfter
            self.defaultEventsQueue = defaultEventsQueue
        }
    }

    let connection: AMQPConnection
    let catalog: AccountCatalog
    let store: InboundStore
    let fetchers: [String: any MailboxFetcher]
    let options: Options
    let logger: Logger
    private let claims = MailboxClaims()

    /// `fetchers` by protocol name (GRAPH, IMAP4, POP3).
    public init(connection: AMQPConnection, catalog: AccountCatalog, store: InboundStore,
                fetchers: [String: any MailboxFetcher], options: Options = Options(),
                logger: Logger = Logger(label: "mailpool.fetch-worker")) {
        self.connection = connection
        self.catalog = catalog
        self.store = store
        self.fetchers = fetchers
        self.options = options
        self.logger = logger
    }

    public func run() async throws {
        try await connection.declare(PipelineTopology.inbound)
        if options.defaultEventsQueue { try await connection.declare(PipelineTopology.defaultEventsQueue) }
        try await connection.consume(queue: PipelineNames.fetchQueue, prefetch: options.concurrency).handleConcurrently(handle)
    }

    func handle(_ delivery: AMQPDelivery) async {
        guard let job = try? FetchJob.decoder.decode(FetchJob.self, from: Data(delivery.body)) else {
            logger.error("unreadable fetch job; dead-lettering it")
            delivery.reject(requeue: false)
            return
        }
        var logger = self.logger
        logger[metadataKey: "mailpool.account"] = "\(job.account)"
        logger[metadataKey: "mailpool.job.id"] = "\(job.jobID)"
        catalog.reloadIfChanged()
        guard let account = catalog.account(named: job.account), let inbound = account.inbound, inbound.active,
              inbound.mailbox.lowercased() == job.mailbox.lowercased(), let fetcher = fetchers[inbound.server.protocolName] else {
            logger.info("the job's account or mailbox is no longer configured or active; dropping the job")
            _ = try? await connection.purgeQueue(PipelineNames.pendingQueue(mailbox: job.mailbox))
            delivery.ack()
            return
        }
        guard claims.claim(inbound.mailbox) else {
            await retryLater(delivery, logger: logger, "mailbox busy in another job of this process; the job waits")
            return
        }
        defer { claims.release(inbound.mailbox) }
        let lock = PipelineNames.mailboxLock(mailbox: inbound.mailbox)
        do {
            guard try await connection.tryLock(lock) else {
                await retryLater(delivery, logger: logger, "mailbox busy in another worker; the job waits")
                return
            }
        } catch {
            logger.warning("cannot take the mailbox lock", metadata: ["error": "\(error)"])
            delivery.nack(requeue: true)
            return
        }
        await process(job, account: account, inbound: inbound, fetcher: fetcher, delivery: delivery, logger: logger)
        try? await connection.unlock(lock)
    }

    private func retryLater(_ delivery: AMQPDelivery, logger: Logger, _ message: Logger.Message) async {
        logger.debug(message)
        try? await Task.sleep(for: .milliseconds(Int(options.lockRetryDelay * 1000)))
        delivery.nack(requeue: true)
    }

    private func process(_ job: FetchJob, account: EmailAccount, inbound: InboundConfiguration, fetcher: any MailboxFetcher,
                         delivery: AMQPDelivery, logger: Logger) async {
        do {
            if let problem = store.problem() { throw problem }
            let result = try await fetcher.fetchBatch(session(account: account, inbound: inbound, logger: logger))
            logger.debug("fetched", metadata: ["messages": "\(result.processed)", "failed": "\(result.failed)",
                                               "quarantined": "\(result.quarantined)", "more": "\(result.more)"])
            if result.failed > 0 {
                // Not at once: the failed messages' next attempt is a rest away, so that a passing fault
                // does not use up their attempts in seconds.
                logger.warning("some messages failed; the mailbox is read again after a rest",
                               metadata: ["failed": "\(result.failed)", "retry_in_s": "\(Int(options.backoff.transient))"])
                await rest(mailbox: inbound.mailbox, seconds: options.backoff.transient, logger: logger)
            } else if result.more {
                // The continuation is the mailbox's outstanding job now: the marker stays.
                var next = job
                next.jobID = UUID().uuidString.lowercased()
                next.continuation += 1
                next.enqueuedAt = Date()
                try await connection.publish(Self.message(for: next))
            } else {
                try await connection.purgeQueue(PipelineNames.pendingQueue(mailbox: inbound.mailbox))
            }
            delivery.ack()
        } catch FetchInterruption.deactivated {
            logger.info("the inbound side was deactivated; the batch stopped before settling another message")
            _ = try? await connection.purgeQueue(PipelineNames.pendingQueue(mailbox: inbound.mailbox))
            delivery.ack()
        } catch {
            switch FetchFailureScope(error, store: store) {
            case .store:
                let problem = store.problem().map { "\($0)" } ?? "\(error)"
                logger.error("the inbound store cannot take mail; the mailbox is not at fault",
                             metadata: ["error": "\(problem)", "retry_in_s": "\(Int(options.backoff.transient))"])
                await rest(mailbox: inbound.mailbox, seconds: options.backoff.transient, logger: logger)
            case .downstream:
                logger.error("no queue takes this account's inbound events; the messages stay on the server",
                             metadata: ["error": "\(error)", "routing_key": "inbound.\(account.slug)",
                                        "remedy": "bind a queue to the mailpool.inbound exchange, or run fetch workers with --default-events-queue"])
                await rest(mailbox: inbound.mailbox, seconds: options.backoff.transient, logger: logger)
            case .message, .mailbox:
                let (delay, needsAttention) = options.backoff.delay(after: error)
                if needsAttention {
                    logger.error("fetch failed; the account needs attention", metadata: ["error": "\(error)", "retry_in_s": "\(Int(delay))"])
                } else {
                    logger.warning("fetch failed", metadata: ["error": "\(error)", "retry_in_s": "\(Int(delay))"])
                }
                await rest(mailbox: inbound.mailbox, seconds: delay, logger: logger)
            }
            delivery.ack()
        }
    }

    private func session(account: EmailAccount, inbound: InboundConfiguration, logger: Logger) -> FetchSession {
        let connection = self.connection, catalog = self.catalog, slug = account.slug
        return FetchSession(
            account: account, inbound: inbound, store: store, quarantineAfter: options.quarantineAfter,
            deliver: { event in
                try await connection.publish(OutgoingMessage(
                    exchange: PipelineNames.inboundExchange, routingKey: "inbound.\(slug)", body: Array(try FetchJob.encoder.encode(event)),
                    properties: AMQPProperties(contentType: "application/json", messageID: event.dedupeKey,
                                               timestamp: UInt64(Date().timeIntervalSince1970), type: "InboundMail")))
            },
            quarantined: { event in
                logger.warning("a message kept failing and was set aside", metadata: [
                    "dedupe_key": "\(event.dedupeKey)", "attempts": "\(event.attempts)", "location": "\(event.location)", "reason": "\(event.reason)"])
                // Not mandatory: an operator's notice that nobody binds must not hold up the mailbox.
                try await connection.publish(OutgoingMessage(
                    exchange: PipelineNames.inboundExchange, routingKey: "quarantined.\(slug)", body: Array(try FetchJob.encoder.encode(event)),
                    properties: AMQPProperties(contentType: "application/json", messageID: event.dedupeKey,
                                               timestamp: UInt64(Date().timeIntervalSince1970), type: "InboundQuarantined"),
                    mandatory: false))
            },
            isActive: {
                catalog.reloadIfChanged()
                guard let current = catalog.account(named: account.name)?.inbound else { return false }
                return current.active && current.mailbox.lowercased() == inbound.mailbox.lowercased()
            })
    }

    /// Replaces the pending marker with one expiring after `seconds`: the poller skips the mailbox until then.
    private func rest(mailbox: String, seconds: Double, logger: Logger) async {
        let pending = PipelineNames.pendingQueue(mailbox: mailbox)
        do {
            try await connection.purgeQueue(pending)
            try await connection.publish(OutgoingMessage(
                exchange: "", routingKey: pending, body: [],
                properties: AMQPProperties(expiration: String(Int(seconds * 1000)), type: "backoff")))
        } catch {
            logger.warning("cannot set the mailbox's backoff marker", metadata: ["error": "\(error)"])
        }
    }

    static func message(for job: FetchJob) throws -> OutgoingMessage {
        OutgoingMessage(exchange: "", routingKey: PipelineNames.fetchQueue, body: Array(try FetchJob.encoder.encode(job)),
                        properties: AMQPProperties(contentType: "application/json", messageID: job.jobID, type: "FetchJob"))
    }
}

/// Mailboxes a job of this process is reading: the broker's lock queue is exclusive per connection, and
/// jobs of one process share a connection, so it cannot keep them apart.
final class MailboxClaims: Sendable {
    private let held = Mutex<Set<String>>([])

    func claim(_ mailbox: String) -> Bool {
        held.withLock { $0.insert(mailbox.lowercased()).inserted }
    }

    func release(_ mailbox: String) {
        _ = held.withLock { $0.remove(mailbox.lowercased()) }
    }
}
