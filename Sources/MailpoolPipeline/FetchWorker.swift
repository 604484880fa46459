import FoundationEssentials
import Logging
import MailpoolAccounts
import MailpoolAMQP
import MailpoolCore
import ServiceLifecycle
import Synchronization

/// Consumes fetch jobs and reads mailboxes, at most `concurrency` jobs at once. The poller keeps one
/// job chain out per mailbox; a second chain can still appear when a job's publish or ack is lost with
/// a connection (the broker stored a job whose confirm never came, or hands a job out again whose
/// continuation was already published). So a job holds the mailbox's pool-wide lock
/// (``PipelineNames/mailboxLock(_:)``) while it reads: a job that finds it held by another worker ends
/// at once and reports its chain ended, as the chain reading the mailbox goes on; within a process a
/// claim keeps a stray second job waiting. A job whose delivery the broker took back (its connection
/// lost, and with it the lock) publishes and settles nothing more. Per job: read one batch, publish
/// each message's event with a confirm, settle it on the server; then publish a continuation job when
/// more mail waits, or report to the poller that the chain ended, with the rest the mailbox needs
/// after a failure (Retry-After, 30 s, 5 minutes), so that a failing account rests instead of being
/// retried in a loop; then ack.
public struct FetchWorker: Service {
    public struct Options: Sendable {
        public var concurrency: UInt16
        public var backoff: FailureBackoff
        /// How long a job waits before retrying when another job of this process holds its mailbox.
        public var busyRetryDelay: Double
        /// Failures after which a message is set aside (quarantined).
        public var quarantineAfter: Int
        /// Declare ``PipelineTopology/defaultEventsQueue`` (for a pool whose consumers read it).
        public var defaultEventsQueue: Bool

        public init(concurrency: UInt16 = 8, backoff: FailureBackoff = FailureBackoff(), busyRetryDelay: Double = 2,
                    quarantineAfter: Int = 3, defaultEventsQueue: Bool = false) {
            self.concurrency = concurrency
            self.backoff = backoff
            self.busyRetryDelay = busyRetryDelay
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
            await report(job, restSeconds: 0, logger: logger)
            delivery.ack()
            return
        }
        guard claims.claim(inbound.mailbox) else {
            await retryLater(delivery, logger: logger, "mailbox busy in another job of this process; the job waits")
            return
        }
        defer { claims.release(inbound.mailbox) }
        let lock = MailboxLock(PipelineNames.mailboxLock(inbound.mailbox), on: connection)
        let taken: Bool
        do {
            taken = try await lock.take()
        } catch {
            await retryLater(delivery, logger: logger, "cannot take the mailbox's lock; the job waits")
            return
        }
        guard delivery.isHeld else {
            // The connection dropped while the lock was being taken (a node frozen, say), and the job
            // went back to the broker with it. The lock, if the call was made again on the next
            // connection and took it there, must not stay with this worker.
            await lock.release()
            handedBack(logger)
            return
        }
        guard taken else {
            // The chain reading the mailbox goes on, and this one ends. With a rest: a leader that
            // does not know that chain (one that took over, say) would otherwise poll the mailbox
            // again each interval, and each job would find the lock held.
            logger.info("another worker's job is reading the mailbox; this job's chain ends here",
                        metadata: ["rest_s": "\(Int(options.backoff.transient))"])
            await report(job, restSeconds: options.backoff.transient, logger: logger)
            delivery.ack()
            return
        }
        FetchMetrics.inFlight.add(1)
        await process(job, account: account, inbound: inbound, fetcher: fetcher, lock: lock, delivery: delivery, logger: logger)
        FetchMetrics.inFlight.add(-1)
        await lock.release()
    }

    private func retryLater(_ delivery: AMQPDelivery, logger: Logger, _ message: Logger.Message) async {
        logger.debug(message)
        try? await Task.sleep(for: .milliseconds(Int(options.busyRetryDelay * 1000)))
        delivery.nack(requeue: true)
    }

    private func process(_ job: FetchJob, account: EmailAccount, inbound: InboundConfiguration, fetcher: any MailboxFetcher, lock: MailboxLock,
                         delivery: AMQPDelivery, logger: Logger) async {
        let started = ContinuousClock.now
        defer {
            let (seconds, attoseconds) = (ContinuousClock.now - started).components
            FetchMetrics.batch(account: account.name, protocolName: inbound.server.protocolName,
                               seconds: Double(seconds) + Double(attoseconds) / 1e18)
        }
        do {
            if let problem = store.problem() { throw problem }
            let result = try await fetcher.fetchBatch(session(account: account, inbound: inbound, delivery: delivery, logger: logger))
            // Before the continuation is published: the chain's next job must find the mailbox free.
            await lock.release()
            FetchMetrics.outcome(account: account.name, succeeded: true, needsAttention: false)
            logger.debug("fetched", metadata: ["messages": "\(result.processed)", "failed": "\(result.failed)",
                                               "quarantined": "\(result.quarantined)", "more": "\(result.more)"])
            if result.failed > 0 {
                // Not at once: the failed messages' next attempt is a rest away, so that a passing fault
                // does not use up their attempts in seconds.
                logger.warning("some messages failed; the mailbox is read again after a rest",
                               metadata: ["failed": "\(result.failed)", "retry_in_s": "\(Int(options.backoff.transient))"])
                await report(job, restSeconds: options.backoff.transient, fetched: job.fetched + result.processed,
                             error: "\(result.failed) messages failed", logger: logger)
            } else if result.more {
                // The continuation carries the chain on: the mailbox stays out.
                var next = job
                next.jobID = UUID().uuidString.lowercased()
                next.continuation += 1
                next.enqueuedAt = Date()
                next.fetched += result.processed
                try await connection.publish(Self.message(for: next))
            } else {
                await report(job, restSeconds: 0, fetched: job.fetched + result.processed, logger: logger)
            }
            delivery.ack()
        } catch let interruption as FetchInterruption {
            switch interruption {
            case .deactivated:
                logger.info("the inbound side was deactivated; the batch stopped before settling another message")
                await report(job, restSeconds: 0, logger: logger)
                delivery.ack()
            case .released:
                handedBack(logger)
            }
        } catch {
            // A publish failed with the connection (a node frozen or cut off, say): not the mailbox's
            // fault, and the job is no longer this worker's.
            guard delivery.isHeld else {
                handedBack(logger, error)
                return
            }
            switch FetchFailureScope(error, store: store) {
            case .store:
                let problem = store.problem().map { "\($0)" } ?? "\(error)"
                logger.error("the inbound store cannot take mail; the mailbox is not at fault",
                             metadata: ["error": "\(problem)", "retry_in_s": "\(Int(options.backoff.transient))"])
                await report(job, restSeconds: options.backoff.transient, error: problem, logger: logger)
            case .downstream:
                logger.error("no queue takes this account's inbound events; the messages stay on the server",
                             metadata: ["error": "\(error)", "routing_key": "inbound.\(account.slug)",
                                        "remedy": "bind a queue to the mailpool.inbound exchange, or run fetch workers with --default-events-queue"])
                await report(job, restSeconds: options.backoff.transient, error: "no queue takes the account's inbound events", logger: logger)
            case .message, .mailbox:
                let (delay, needsAttention) = options.backoff.delay(after: error)
                FetchMetrics.outcome(account: account.name, succeeded: false, needsAttention: needsAttention)
                if needsAttention {
                    logger.error("fetch failed; the account needs attention", metadata: ["error": "\(error)", "retry_in_s": "\(Int(delay))"])
                } else {
                    logger.warning("fetch failed", metadata: ["error": "\(error)", "retry_in_s": "\(Int(delay))"])
                }
                await report(job, restSeconds: delay, error: "\(error)", needsAttention: needsAttention, logger: logger)
            }
            delivery.ack()
        }
    }

    private func session(account: EmailAccount, inbound: InboundConfiguration, delivery: AMQPDelivery, logger: Logger) -> FetchSession {
        let connection = self.connection, catalog = self.catalog, slug = account.slug
        return FetchSession(
            account: account, inbound: inbound, store: store, quarantineAfter: options.quarantineAfter,
            deliver: { event in
                try await connection.publish(OutgoingMessage(
                    exchange: PipelineNames.inboundExchange, routingKey: "inbound.\(slug)", body: Array(try FetchJob.encoder.encode(event)),
                    properties: AMQPProperties(contentType: "application/json", messageID: event.dedupeKey,
                                               timestamp: UInt64(Date().timeIntervalSince1970), type: "InboundMail")))
                FetchMetrics.delivered(event)
            },
            quarantined: { event in
                FetchMetrics.quarantined(account: event.account)
                logger.warning("a message kept failing and was set aside", metadata: [
                    "dedupe_key": "\(event.dedupeKey)", "attempts": "\(event.attempts)", "location": "\(event.location)", "reason": "\(event.reason)"])
                // Not mandatory: an operator's notice that nobody binds must not hold up the mailbox.
                try await connection.publish(OutgoingMessage(
                    exchange: PipelineNames.inboundExchange, routingKey: "quarantined.\(slug)", body: Array(try FetchJob.encoder.encode(event)),
                    properties: AMQPProperties(contentType: "application/json", messageID: event.dedupeKey,
                                               timestamp: UInt64(Date().timeIntervalSince1970), type: "InboundQuarantined"),
                    mandatory: false))
            },
            interruption: {
                guard delivery.isHeld else { return .released }
                catalog.reloadIfChanged()
                guard let current = catalog.account(named: account.name)?.inbound, current.active,
                      current.mailbox.lowercased() == inbound.mailbox.lowercased() else { return .deactivated }
                return nil
            })
    }

    /// The connection went away under the batch, and with it this copy of the job. The broker hands
    /// the job out again and that copy carries the chain on, so this one neither reports the chain
    /// ended nor settles anything: a report would have the poller start a second chain for the
    /// mailbox beside it (seen in the chaos suite's node-freeze: a new job each poll interval, each
    /// finding the mailbox lock held, for a minute).
    private func handedBack(_ logger: Logger, _ error: (any Error)? = nil) {
        logger.warning("the job was handed back to the broker (connection lost); this batch settles nothing more",
                       metadata: error.map { ["error": "\($0)"] } ?? [:])
    }

    /// Tells the poller that the job's chain ended, and how long the mailbox must rest. If the report
    /// cannot be published, the poller's lease frees the mailbox later.
    private func report(_ job: FetchJob, restSeconds: Double, fetched: Int = 0, error: String? = nil, needsAttention: Bool = false,
                        logger: Logger) async {
        do {
            let report = FetchReport(mailbox: job.mailbox, chainID: job.chainID, restSeconds: restSeconds, fetched: fetched,
                                     error: error, needsAttention: needsAttention)
            try await connection.publish(OutgoingMessage(exchange: "", routingKey: PipelineNames.fetchReportsQueue,
                                                         body: Array(try FetchJob.encoder.encode(report)),
                                                         properties: AMQPProperties(contentType: "application/json", type: "FetchReport")))
        } catch {
            logger.warning("cannot report the end of the job to the poller; the mailbox waits for the lease", metadata: ["error": "\(error)"])
        }
    }

    static func message(for job: FetchJob) throws -> OutgoingMessage {
        OutgoingMessage(exchange: "", routingKey: PipelineNames.fetchQueue, body: Array(try FetchJob.encoder.encode(job)),
                        properties: AMQPProperties(contentType: "application/json", messageID: job.jobID, type: "FetchJob"))
    }
}

/// Mailboxes a job of this process is reading.
final class MailboxClaims: Sendable {
    private let held = Mutex<Set<String>>([])

    func claim(_ mailbox: String) -> Bool {
        held.withLock { $0.insert(mailbox.lowercased()).inserted }
    }

    func release(_ mailbox: String) {
        _ = held.withLock { $0.remove(mailbox.lowercased()) }
    }
}

/// A mailbox's pool-wide lock (an exclusive queue), given up once: when the batch is read, before its
/// continuation goes out, and not at all after a reconnect, which freed it (another worker may hold it
/// by then).
final class MailboxLock: Sendable {
    private let name: String
    private let connection: AMQPConnection
    private let taken = Mutex<Int?>(nil)   // the connection count it was taken on

    init(_ name: String, on connection: AMQPConnection) {
        self.name = name
        self.connection = connection
    }

    func take() async throws -> Bool {
        guard let number = try await connection.tryLock(name) else { return false }
        taken.withLock { $0 = number }
        return true
    }

    func release() async {
        guard let count = taken.withLock({ value in defer { value = nil }; return value }), count == connection.connectionCount else { return }
        try? await connection.unlock(name)
    }
}
