import MailpoolCore

/// How the client retries throttled (429) and unavailable (503, 504) answers: `Retry-After` when Graph
/// sends it, else exponential backoff with jitter; and transport failures of idempotent requests.
public struct GraphRetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    public var backoff: Backoff
    /// Longest `Retry-After` waited for in place; a longer one fails with ``GraphError/throttled(retryAfter:)``
    /// so that the caller can reschedule the work instead of holding it.
    public var maxRetryAfter: Double

    public init(maxAttempts: Int = 5, backoff: Backoff = Backoff(initial: 0.5, maximum: 30), maxRetryAfter: Double = 60) {
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.maxRetryAfter = maxRetryAfter
    }
}
