import MailpoolGraph

/// How long a mailbox rests after a failed fetch: throttling as Graph asks, passing faults briefly,
/// account problems (expired secret, missing consent, alias instead of mailbox) long enough not to
/// hammer Entra or Graph in a hot loop.
public struct FailureBackoff: Sendable {
    public var transient: Double
    public var configuration: Double

    public init(transient: Double = 30, configuration: Double = 300) {
        self.transient = transient
        self.configuration = configuration
    }

    /// Seconds to rest, and whether the failure needs someone to change the account.
    ///
    /// Only what the account's owner must fix needs attention. A move whose answer was lost or was a
    /// 504 (``GraphError/outcomeUnknown(operation:detail:)``) is Graph's ambiguity, not the account's:
    /// the mailbox is read again after the short rest, which settles whether the move happened.
    func delay(after error: any Error) -> (seconds: Double, needsAttention: Bool) {
        switch error {
        case GraphError.throttled(let retryAfter?):
            (max(retryAfter, transient), false)
        case let error as GraphError where error.isCredentialProblem || error.isMailboxProblem:
            (configuration, true)
        case GraphError.service(let status, _, _) where status < 500 && status != 429:
            (configuration, true)
        default:
            (transient, false)
        }
    }
}
