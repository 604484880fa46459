import FoundationEssentials

/// Keeps each sender mailbox within Exchange Online's 30 messages per minute across the whole pool
/// without any broker state per sender: each of the N workers consuming the notification queue keeps
/// a sliding window of `perMinute / N` sends per sender (at least one), so that the pool together stays
/// within `perMinute`. N comes from ``share(among:)``, which the worker calls as workers come and go.
/// A send over the window waits here (the notification stays unacknowledged, so the broker keeps it)
/// instead of being throttled by Graph. With more workers than `perMinute`, each still sends one a
/// window, and Graph's 429s, which are safe to retry, take over.
public actor SendRateLimiter {
    let perMinute: Int
    let window: Double
    private var processes = 1
    private var sent: [String: [ContinuousClock.Instant]] = [:]

    public init(perMinute: Int = 30, windowSeconds: Double = 60) {
        self.perMinute = perMinute
        self.window = windowSeconds
    }

    /// This worker's share of every sender's window: `processes` workers send.
    public func share(among processes: Int) {
        self.processes = max(1, processes)
    }

    /// Sends this worker may make per sender and window.
    var limit: Int { max(1, perMinute / processes) }

    /// Waits until `sender` may send one more message, and takes that slot.
    public func acquire(sender: String) async throws {
        let key = sender.lowercased()
        while true {
            let now = ContinuousClock.now
            var times = sent[key, default: []]
            times.removeAll { now - $0 >= .milliseconds(Int(window * 1000)) }
            if times.count < limit {
                times.append(now)
                sent[key] = times
                return
            }
            sent[key] = times
            let wait = times[times.count - limit] + .milliseconds(Int(window * 1000)) - now
            try await Task.sleep(for: max(wait, .milliseconds(10)))
        }
    }
}
