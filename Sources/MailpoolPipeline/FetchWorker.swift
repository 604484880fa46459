import Foundation
import Logging
import MailpoolAMQP
import MailpoolAccounts
import ServiceLifecycle

/// Consumes fetch jobs and reads mailboxes: at most `concurrency` jobs at once, never two for the same
/// mailbox anywhere in the pool (an exclusive-queue lock per mailbox). Per job: read one batch, publish
/// each message's event with a confirm, settle it on the server; then publish a continuation job when
/// more mail waits, or clear the mailbox's pending marker; then ack. On failure the marker is replaced by
/// one that expires after the backoff, so a failing account rests instead of being retried in a loop,
/// and the others go on.
public struct FetchWorker: Service {
    public struct Options: Sendable {
        public var concurrency: UInt16
        public var backoff: FailureBackoff
        /// How long a job waits before retrying when another worker holds its mailbox.
        public var lockRetryDelay: Double
        public var staleAfterMilliseconds: Int

        public init(concurrency: UInt16 = 8, backoff: FailureBackoff = FailureBackoff(), lockRetryDelay: Double = 2,
                    staleAfterMilliseconds: Int = 30 * 60 * 1000) {
            self.concurrency = concurrency
            self.backoff = backoff
            self.lockRetryDelay = lockRetryDelay
            self.staleAfterMilliseconds = staleAfterMilliseconds
        }
    }

    let connection: AMQPConnection
    let catalog: AccountCatalog
    let store: InboundStore
    let fetchers: [String: any MailboxFetcher]
    let options: Options
    let logger: Logger

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
        guard let account = catalog.account(named: job.account), let inbound = account.inbound,
              inbound.mailbox.lowercased() == job.mailbox.lowercased(), let fetcher = fetchers[inbound.server.protocolName] else {
            logger.warning("the job's account or mailbox is no longer configured; dropping the job")
            _ = try? await connection.purgeQueue(PipelineNames.pendingQueue(mailbox: job.mailbox))
            delivery.ack()
            return
        }
        let lock = PipelineNames.mailboxLock(mailbox: inbound.mailbox)
        do {
            guard try await connection.tryLock(lock) else {
                logger.debug("mailbox busy in another worker; the job waits")
                try await Task.sleep(for: .milliseconds(Int(options.lockRetryDelay * 1000)))
                delivery.nack(requeue: true)
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

    private func process(_ job: FetchJob, account: EmailAccount, inbound: InboundConfiguration, fetcher: any MailboxFetcher,
                         delivery: AMQPDelivery, logger: Logger) async {
        let connection = self.connection
        do {
            let (processed, more) = try await fetcher.fetchBatch(account: account, inbound: inbound, store: store) { event in
                try await connection.publish(OutgoingMessage(
                    exchange: PipelineNames.inboundExchange, routingKey: "inbound.\(account.slug)",
                    body: Array(try FetchJob.encoder.encode(event)),
                    properties: AMQPProperties(contentType: "application/json", messageID: event.dedupeKey,
                                               timestamp: UInt64(Date().timeIntervalSince1970), type: "InboundMail")))
            }
            if more {
                // The continuation is the mailbox's outstanding job now: the marker stays.
                var next = job
                next.jobID = UUID().uuidString.lowercased()
                next.continuation += 1
                next.enqueuedAt = Date()
                try await connection.publish(Self.message(for: next))
            } else {
                try await connection.purgeQueue(PipelineNames.pendingQueue(mailbox: inbound.mailbox))
            }
            logger.debug("fetched", metadata: ["messages": "\(processed)", "more": "\(more)"])
            delivery.ack()
        } catch {
            let (delay, needsAttention) = options.backoff.delay(after: error)
            if needsAttention {
                logger.error("fetch failed; the account needs attention", metadata: ["error": "\(error)", "retry_in_s": "\(Int(delay))"])
            } else {
                logger.warning("fetch failed", metadata: ["error": "\(error)", "retry_in_s": "\(Int(delay))"])
            }
            await rest(mailbox: inbound.mailbox, seconds: delay, logger: logger)
            delivery.ack()
        }
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
