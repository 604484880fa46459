import FoundationEssentials
import MailpoolCore
import Metrics

/// The notification worker's metrics. Labels are bounded: accounts and reasons, never recipients or IDs.
enum NotificationMetrics {
    /// Why a notification was dead-lettered or retried, as a metric label.
    enum Reason: String {
        case rejected, unsupported, permanent, configuration, transient, outcomeUnknown = "outcome-unknown",
             outcomePending = "outcome-pending", retriesExhausted = "retries-exhausted"
    }

    static func sent(account: String, enqueuedAt: UInt64?) {
        Counter(label: "mailpool_notifications_sent_total", dimensions: [("account", account)]).increment()
        guard let enqueuedAt else { return }
        // The AMQP timestamp has whole seconds: the latency is as precise as that.
        let seconds = max(0, Date().timeIntervalSince1970 - Double(enqueuedAt))
        Metrics.Timer(label: "mailpool_notification_send_latency_seconds", dimensions: [("account", account)])
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    static func retried(account: String, reason: Reason) {
        Counter(label: "mailpool_notifications_retried_total", dimensions: [("account", account), ("reason", reason.rawValue)]).increment()
    }

    static func deadLettered(account: String, reason: Reason) {
        Counter(label: "mailpool_notifications_dead_lettered_total", dimensions: [("account", account), ("reason", reason.rawValue)])
            .increment()
    }

    /// Notifications being sent right now.
    static let inFlight = InFlightGauge(kind: "notification")
}
