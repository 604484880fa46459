/// Keeps each mailbox's request rate under Exchange Online's quota (10,000 requests per 10 minutes per
/// app and mailbox) so that the pool runs close to the quota without being throttled: a token bucket
/// refilled at `utilization` × the quota's rate, holding at most `burst` requests. No window sees more
/// than `burst + utilization × requestsPerWindow` requests, so keep that at or under the quota; with the
/// defaults it is 50 + 9,500.
public struct RequestPacing: Sendable, Equatable {
    public var requestsPerWindow: Int
    public var windowSeconds: Double
    public var utilization: Double
    public var burst: Int

    public init(requestsPerWindow: Int = 10_000, windowSeconds: Double = 600, utilization: Double = 0.95, burst: Int = 50) {
        precondition(requestsPerWindow > 0 && windowSeconds > 0 && utilization > 0 && burst > 0)
        self.requestsPerWindow = requestsPerWindow
        self.windowSeconds = windowSeconds
        self.utilization = utilization
        self.burst = burst
    }

    /// Requests per second the bucket refills with.
    var rate: Double { Double(requestsPerWindow) * utilization / windowSeconds }

    /// Exchange Online's documented per-mailbox limit.
    public static let exchangeOnline = RequestPacing()
}

/// A token bucket for one mailbox.
struct TokenBucket {
    private var tokens: Double
    private var updated: ContinuousClock.Instant
    let pacing: RequestPacing

    init(pacing: RequestPacing, now: ContinuousClock.Instant = .now) {
        self.pacing = pacing
        tokens = Double(pacing.burst)
        updated = now
    }

    /// Takes a token and returns 0, or returns how many seconds to wait before asking again.
    mutating func take(now: ContinuousClock.Instant = .now) -> Double {
        let elapsed = updated.duration(to: now)
        tokens = min(Double(pacing.burst), tokens + pacing.rate * (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
        updated = now
        guard tokens >= 1 else { return (1 - tokens) / pacing.rate }
        tokens -= 1
        return 0
    }
}
