import MailpoolAMQP

/// Queues of the notification pipeline, and the retry ladder.
public enum NotificationNames {
    /// Where other systems publish notifications (through the default exchange).
    public static let queue = "mailpool.notifications"
    /// Notifications that cannot be sent, with the reason in their headers.
    public static let deadQueue = "mailpool.notifications.dead"

    /// The step of the retry ladder whose messages wait `delay` seconds. Named by its delay, so that
    /// ladders configured differently never share a step. (`mailpool.notifications.retry.<ms>ms`, the
    /// classic TTL queues of earlier versions, send what they still hold back to the work queue by
    /// themselves and can be deleted once empty.)
    public static func retryQueue(delay: Double) -> String { "mailpool.notifications.delay.\(Int((delay * 1000).rounded()))ms" }

    /// The dead-letter reason of a notification whose server may have accepted it without saying so.
    public static let outcomeUnknownReason = "outcome-unknown"

    /// Each worker's ``OutboundActivity`` snapshots, for `mailpool status`: a classic queue of at most
    /// 512 (the oldest dropped), each kept an hour, whatever the number of accounts or workers.
    public static let activityQueue = "mailpool.notifications.activity"

    static let activityQueueSpec = QueueSpec(name: activityQueue, arguments: [
        "x-queue-type": "classic", "x-max-length": .int(512), "x-overflow": "drop-head", "x-message-ttl": .int(3_600_000),
    ])

    /// Deliveries of one notification (each a worker that died or lost its connection holding it)
    /// after which the broker dead-letters it with reason `delivery_limit`, instead of handing a
    /// notification that crashes workers out forever.
    public static let defaultDeliveryLimit = 10

    /// The work queue (a quorum queue with a delivery limit, dead-lettering to the dead-letter queue),
    /// the dead-letter queue, the activity queue, and one quorum queue per step of `ladder`, without a
    /// delivery limit (a waiting message is given back now and then, see ``RetryLadderMover``). Every
    /// argument is explicit, so RabbitMQ 4's different defaults (a delivery limit of 20 on every quorum
    /// queue) change nothing.
    public static func topology(ladder: RetryLadder, deliveryLimit: Int = defaultDeliveryLimit) -> Topology {
        Topology(queues: [workQueue(deliveryLimit: deliveryLimit), .quorum(deadQueue), activityQueueSpec]
            + ladder.delays.map { .quorum(retryQueue(delay: $0)) })
    }

    /// The work queue: quorum, dead-lettering to ``deadQueue`` after `deliveryLimit` deliveries. Every
    /// process that declares it (workers, `mailpool notify`) must use the same limit.
    public static func workQueue(deliveryLimit: Int = defaultDeliveryLimit) -> QueueSpec {
        .quorum(queue, deadLetterExchange: "", deadLetterRoutingKey: deadQueue, deliveryLimit: deliveryLimit)
    }

    /// Header names carried by retried and dead-lettered notifications.
    public enum Header {
        public static let attempts = "x-mailpool-attempts"
        /// When a notification on the retry ladder is due back in the work queue, in milliseconds since
        /// 1970 (set by the worker that puts it there).
        public static let dueAt = "x-mailpool-due-at"
        public static let errors = "x-mailpool-errors"
        public static let firstError = "x-mailpool-first-error"
        public static let lastError = "x-mailpool-last-error"
        public static let firstFailedAt = "x-mailpool-first-failed-at"
        public static let lastFailedAt = "x-mailpool-last-failed-at"
        public static let deadReason = "x-mailpool-dead-reason"
        public static let deadAt = "x-mailpool-dead-at"
        /// The sending account of a dead letter, as the worker resolved it.
        public static let account = "x-mailpool-account"
        /// Set on a notification put back because an earlier attempt's outcome was not known yet: its
        /// next attempt must find out before sending.
        public static let outcomePending = "x-mailpool-outcome-pending"
        /// Set on a dead letter an operator replays: sent again even if its ID is in the dedupe record
        /// (an SMTP message whose outcome was unknown is recorded so that no copy of it goes out
        /// again by itself), after the sender's own check (for Graph, the lookup by ID).
        public static let replayed = "x-mailpool-replayed"
    }
}

/// Delays between attempts, in seconds (default 10 s, 1 min, 5 min, 30 min, 2 h). A notification that
/// fails once more after the last step is dead-lettered.
public struct RetryLadder: Sendable, Equatable {
    public var delays: [Double]

    public init(delays: [Double] = [10, 60, 300, 1800, 7200]) {
        precondition(!delays.isEmpty && delays.allSatisfy { $0 > 0 })
        self.delays = delays
    }

    /// The step for the `attempt`-th failure (1-based) that waits at least `retryAfter`, or nil when the
    /// ladder is exhausted.
    func step(afterFailure attempt: Int, retryAfter: Double?) -> Int? {
        guard attempt <= delays.count else { return nil }
        return step(covering: max(delays[attempt - 1], retryAfter ?? 0))
    }

    /// The shortest step that waits at least `seconds`, or the longest.
    func step(covering seconds: Double) -> Int {
        delays.firstIndex { $0 >= seconds } ?? delays.count - 1
    }
}
