import MailpoolGraph
import MailpoolLegacyMail

/// How a failed send is handled: retried on the ladder, retried a few times then dead-lettered (the
/// account's configuration may be fixed meanwhile), or dead-lettered at once.
enum SendFailure: Equatable {
    case transient(retryAfter: Double?)
    case configuration
    case permanent

    init(_ error: any Error) {
        switch error {
        case GraphError.throttled(let retryAfter): self = .transient(retryAfter: retryAfter)
        case GraphError.serviceUnavailable, GraphError.transport, GraphError.invalidResponse, GraphError.storage, GraphError.cancelled:
            self = .transient(retryAfter: nil)
        case GraphError.clientSecretExpired, GraphError.invalidClientSecret, GraphError.applicationNotFound, GraphError.tenantNotFound,
             GraphError.applicationDisabled, GraphError.invalidClientCertificate, GraphError.tokenRequestFailed, GraphError.unauthorized:
            self = .configuration
        case GraphError.accessDenied, GraphError.invalidMailbox, GraphError.mailboxNotEnabled:
            self = .permanent
        case GraphError.service(let status, _, _):
            self = status >= 500 || status == 429 ? .transient(retryAfter: nil) : .permanent
        case LegacyMailError.authenticationFailed, LegacyMailError.tls:
            self = .configuration
        case let error as LegacyMailError:
            self = error.isTransient ? .transient(retryAfter: nil) : .permanent
        default:
            self = .transient(retryAfter: nil)
        }
    }
}
