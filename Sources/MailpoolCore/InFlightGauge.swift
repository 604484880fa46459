import Metrics
import Synchronization

/// `mailpool_jobs_in_flight{kind}`: how many jobs of a kind (fetch, notification) a process is working on.
public final class InFlightGauge: Sendable {
    private let count = Atomic<Int>(0)
    private let kind: String

    public init(kind: String) {
        self.kind = kind
    }

    public func add(_ delta: Int) {
        let now = count.add(delta, ordering: .relaxed).newValue
        Gauge(label: "mailpool_jobs_in_flight", dimensions: [("kind", kind)]).record(now)
    }
}
