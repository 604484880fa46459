import MailpoolGraph
import MailpoolLegacyMail

/// How a failed send is handled: retried on the ladder, retried a few times then dead-lettered (the
/// account's configuration may be fixed meanwhile), dead-lettered at once, or — when the server may
/// have accepted it and cannot be asked (SMTP) — dead-lettered as `outcome-unknown`.
enum SendFailure: Equatable {
    case transient(retryAfter: Double?)
    case configuration
    case permanent
    case outcomeUnknown

    init(_ error: any Error) {
        switch error {
        case GraphError.throttled(let retryAfter): self = .transient(retryAfter: retryAfter)
        // Graph can be asked: the next attempt reads the mailbox before it sends anything.
        case GraphError.serviceUnavailable, GraphError.transport, GraphError.invalidResponse, GraphError.cancelled,
             GraphError.outcomeUnknown, GraphError.withheld:
            self = .transient(retryAfter: nil)
        case let error as GraphError where error.isCredentialProblem:
            self = .configuration
        case let error as GraphError where error.isMailboxProblem:
            self = .permanent
        case GraphError.service(let status, _, _):
            self = status >= 500 || status == 429 ? .transient(retryAfter: nil) : .permanent
        case LegacyMailError.authenticationFailed, LegacyMailError.tls:
            self = .configuration
        case LegacyMailError.outcomeUnknown:
            self = .outcomeUnknown
        case let error as LegacyMailError:
            self = error.isTransient ? .transient(retryAfter: nil) : .permanent
        default:
            self = .transient(retryAfter: nil)
        }
    }
}
