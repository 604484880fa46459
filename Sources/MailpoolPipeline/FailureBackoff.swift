import MailpoolGraph

/// How long a mailbox rests after a failed fetch: throttling as Graph asks, passing faults briefly,
/// configuration problems (expired secret, missing consent, alias instead of mailbox) long enough not
/// to hammer Entra or Graph in a hot loop.
public struct FailureBackoff: Sendable {
    public var transient: Double
    public var configuration: Double

    public init(transient: Double = 30, configuration: Double = 300) {
        self.transient = transient
        self.configuration = configuration
    }

    /// Seconds to rest, and whether the failure needs someone to change the account.
    func delay(after error: any Error) -> (seconds: Double, needsAttention: Bool) {
        switch error {
        case GraphError.throttled(let retryAfter?): (max(retryAfter, transient), false)
        case let error as GraphError where error.isTransient: (transient, false)
        case is GraphError: (configuration, true)
        default: (transient, false)
        }
    }
}
