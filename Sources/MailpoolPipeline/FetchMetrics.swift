import FoundationEssentials
import MailpoolCore
import Metrics

/// The fetch worker's metrics, labelled by account (and protocol), never by message or address.
enum FetchMetrics {
    static func delivered(_ event: InboundMailEvent) {
        let dimensions = [("account", event.account), ("protocol", event.protocol)]
        Counter(label: "mailpool_fetched_messages_total", dimensions: dimensions).increment()
        Counter(label: "mailpool_fetched_bytes_total", dimensions: dimensions).increment(by: event.size)
    }

    static func batch(account: String, protocolName: String, seconds: Double) {
        Metrics.Timer(label: "mailpool_fetch_duration_seconds", dimensions: [("account", account), ("protocol", protocolName)])
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    static func quarantined(account: String) {
        Counter(label: "mailpool_quarantined_messages_total", dimensions: [("account", account)]).increment()
    }

    /// After a batch: whether the account needs someone to change it (0/1), and when it last succeeded.
    static func outcome(account: String, succeeded: Bool, needsAttention: Bool) {
        Gauge(label: "mailpool_account_needs_attention", dimensions: [("account", account)]).record(needsAttention ? 1 : 0)
        if succeeded {
            Gauge(label: "mailpool_account_last_success_timestamp_seconds", dimensions: [("account", account)])
                .record(Date().timeIntervalSince1970)
        }
    }

    /// Fetch jobs being worked on right now.
    static let inFlight = InFlightGauge(kind: "fetch")
}
