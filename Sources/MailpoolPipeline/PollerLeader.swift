import FoundationEssentials
import Logging
import MailpoolAMQP
import MailpoolAccounts
import Synchronization

/// What the leading poller does each tick: take in the workers' reports, find the mailboxes due (each
/// on a slot of its own within its interval, so that 10,000 mailboxes make an even load), write the
/// state with them marked as out, then publish their jobs with pipelined confirms, and only then ack
/// the reports the written state reflects.
///
/// Why at most one job is out per mailbox: a mailbox gets a job only when the state has none out for
/// it; the state is confirmed by the broker before the job is published, so every job ever published
/// is in the latest state; a report, the only thing that frees a mailbox, is acked only once a state
/// without the job is confirmed, so a leader that dies before that leaves the report to its
/// successor, which starts from the latest state. A chain out longer than the lease (its job
/// dead-lettered, or its report lost) is forgotten, which bounds how long a lost job blocks a mailbox.
/// A successor gives the chains it inherits only the takeover grace: a leader can die after writing a
/// state and before publishing the jobs it lists, and those mailboxes would otherwise wait out the
/// lease. A job that was published and still runs after the grace is doubled; the fetch workers'
/// mailbox lock keeps the double from reading beside it, and the double's chain ends with a rest
/// before the mailbox is polled again.
///
/// The state queue is a classic queue on one broker node (a replicated queue would keep every state
/// written until its log is compacted: hundreds of MB at 10,000 mailboxes). While that node is down the
/// broker returns the state unrouted, and the leader goes on from the state it holds in memory, so
/// mailboxes keep being polled; it writes the state again once the queue is back. A poller taking the
/// lead meanwhile finds no state and starts afresh, so a job out may be doubled: the fetch workers'
/// mailbox lock keeps a doubled job from reading beside the first.
final class PollerLeader: Sendable {
    private let connection: AMQPConnection
    /// The poller's options: the lease, the takeover grace and the publish window apply here.
    private let options: Poller.Options
    private let logger: Logger
    private let state: Mutex<PollerState>
    private let nextDue = Mutex<[String: Date]>([:])
    private let reports: AMQPConsumer
    private let received = ReceivedReports()
    /// Reports taken in whose state could not be written yet: acked after the next state is confirmed.
    private let awaitingState = ReceivedReports()
    private let intake: Task<Void, Never>
    /// Whether the last state written was taken by the broker (for logging the changes only).
    private let stateStored = Atomic<Bool>(true)
    /// The chains out when this poller took the lead (mailbox → chain ID), forgotten at `until` if still out.
    private let inherited: Mutex<(chains: [String: String], until: Date)?>

    private init(connection: AMQPConnection, state: PollerState, options: Poller.Options, logger: Logger) async throws {
        self.connection = connection
        self.options = options
        self.logger = logger
        self.state = Mutex(state)
        inherited = Mutex((state.outstanding.mapValues(\.chainID), Date().addingTimeInterval(options.takeoverGraceSeconds)))
        let reports = try await connection.consume(queue: PipelineNames.fetchReportsQueue, prefetch: 1000)
        self.reports = reports
        let received = self.received
        intake = Task {
            do {
                for try await delivery in reports { received.add(delivery) }
            } catch {}  // the consumer ends when the leader steps down or the connection closes
        }
    }

    /// Becomes the leader: reads the latest state (leaving it in place) and starts taking reports.
    static func takeOver(connection: AMQPConnection, options: Poller.Options, logger: Logger) async throws -> PollerLeader {
        let state: PollerState
        do {
            state = try await PollerState.read(from: connection) ?? PollerState()
        } catch let error as PollerState.Unreadable {
            logger.error("the poller state is unreadable; starting afresh (a job out may be doubled)", metadata: ["error": "\(error)"])
            state = PollerState()
        } catch AMQPError.notFound(let text) {
            logger.warning("the poller state's queue is on a broker node that is down; starting afresh (a job out may be doubled)",
                           metadata: ["error": "\(text)"])
            state = PollerState()
        }
        logger.info("this poller leads now", metadata: ["jobs_out": "\(state.outstanding.count)", "resting": "\(state.restingUntil.count)"])
        return try await PollerLeader(connection: connection, state: state, options: options, logger: logger)
    }

    /// Stops taking reports and hands back those not yet acked, for the next leader.
    func stepDown() {
        reports.cancel()
        intake.cancel()
        for delivery in awaitingState.take() + received.take() { delivery.nack(requeue: true) }
    }

    /// One tick. Returns how many jobs were published.
    @discardableResult
    func tick(accounts: [EmailAccount], now: Date = Date()) async throws -> Int {
        let deliveries = received.take()
        let applied = awaitingState.take() + deliveries
        var changed = !applied.isEmpty
        let due: [FetchJob] = state.withLock { state in
            for delivery in deliveries {
                if let report = try? FetchJob.decoder.decode(FetchReport.self, from: Data(delivery.body)) {
                    state.apply(report, now: now)
                }
            }
            var expired = state.expire(lease: options.leaseSeconds, now: now)
            let graceOver = inherited.withLock { value -> [String: String]? in
                guard let current = value, now >= current.until else { return nil }
                value = nil
                return current.chains
            }
            if let graceOver { expired += state.forget(graceOver) }
            if !expired.isEmpty {
                changed = true
                logger.warning("fetch jobs out past their lease (or past the takeover grace, when a previous leader issued them) are taken as lost",
                               metadata: ["mailboxes": "\(expired.count)"])
            }
            var jobs: [FetchJob] = []
            nextDue.withLock { nextDue in
                for account in accounts {
                    guard let inbound = account.inbound, inbound.active else { continue }
                    let mailbox = inbound.mailbox.lowercased()
                    let interval = Double(inbound.pollIntervalSeconds)
                    guard let due = nextDue[mailbox] else {
                        nextDue[mailbox] = Self.slot(after: now, mailbox: mailbox, interval: interval)
                        continue
                    }
                    guard now >= due else { continue }
                    nextDue[mailbox] = Self.slot(after: now, mailbox: mailbox, interval: interval)
                    guard state.outstanding[mailbox] == nil, state.restingUntil[mailbox] == nil else { continue }
                    let job = FetchJob(account: account.name, mailbox: inbound.mailbox, enqueuedAt: now)
                    state.outstanding[mailbox] = .init(chainID: job.chainID, issuedAt: now)
                    jobs.append(job)
                }
            }
            return jobs
        }
        if changed || !due.isEmpty {
            do {
                try await connection.publish(OutgoingMessage(exchange: "", routingKey: PipelineNames.pollerStateQueue,
                                                             body: state.withLock { $0.encoded() },
                                                             properties: AMQPProperties(type: "PollerState")))
                if !stateStored.exchange(true, ordering: .relaxed) { logger.notice("the poller state is written again") }
            } catch AMQPError.unroutable, AMQPError.publishNacked {
                if stateStored.exchange(false, ordering: .relaxed) {
                    logger.warning("the poller state's queue is on a broker node that is down; polling goes on from the state in memory")
                }
            } catch {
                // No job goes out that the written state does not hold, and no report is acked that it does not reflect.
                state.withLock { state in
                    for job in due where state.outstanding[job.mailbox.lowercased()]?.chainID == job.chainID {
                        state.outstanding[job.mailbox.lowercased()] = nil
                    }
                }
                awaitingState.add(contentsOf: applied)
                throw error
            }
        }
        for delivery in applied { delivery.ack() }
        try await publish(due)
        return due.count
    }

    /// Publishes the jobs with at most `publishWindow` confirms outstanding. A job that could not be
    /// published is no longer out (the next state says so).
    private func publish(_ jobs: [FetchJob]) async throws {
        let connection = self.connection, window = options.publishWindow
        let failed = await withTaskGroup(of: FetchJob?.self) { group -> [FetchJob] in
            var failed: [FetchJob] = []
            for (index, job) in jobs.enumerated() {
                if index >= window, let result = await group.next(), let job = result { failed.append(job) }
                group.addTask {
                    do {
                        try await connection.publish(FetchWorker.message(for: job))
                        return nil
                    } catch {
                        return job
                    }
                }
            }
            for await result in group { if let job = result { failed.append(job) } }
            return failed
        }
        guard !failed.isEmpty else { return }
        logger.warning("fetch jobs could not be published; their mailboxes are polled at their next slot", metadata: ["jobs": "\(failed.count)"])
        state.withLock { state in
            for job in failed where state.outstanding[job.mailbox.lowercased()]?.chainID == job.chainID {
                state.outstanding[job.mailbox.lowercased()] = nil
            }
        }
    }

    /// The mailbox's next poll after `now`: slots are `interval` apart at a phase that is the mailbox's
    /// own (a hash of its address), in wall-clock time, so that mailboxes spread over the interval and
    /// a new leader keeps the same slots.
    static func slot(after now: Date, mailbox: String, interval: Double) -> Date {
        let intervalMillis = max(1, Int64(interval * 1000))
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in mailbox.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let phase = Int64(hash % UInt64(intervalMillis))
        let nowMillis = Int64(now.timeIntervalSince1970 * 1000)
        let sincePhase = ((nowMillis - phase) % intervalMillis + intervalMillis) % intervalMillis
        return Date(timeIntervalSince1970: Double(nowMillis - sincePhase + intervalMillis) / 1000)
    }
}

/// Reports delivered to the leader and not yet taken in by a tick.
final class ReceivedReports: Sendable {
    private let deliveries = Mutex<[AMQPDelivery]>([])

    func add(_ delivery: AMQPDelivery) {
        deliveries.withLock { $0.append(delivery) }
    }

    func add(contentsOf more: [AMQPDelivery]) {
        deliveries.withLock { $0 += more }
    }

    /// Everything received so far, emptying the list.
    func take() -> [AMQPDelivery] {
        deliveries.withLock { value in
            defer { value.removeAll() }
            return value
        }
    }
}
