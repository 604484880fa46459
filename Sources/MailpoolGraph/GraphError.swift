import MailpoolCurl

/// What went wrong talking to Microsoft Entra or Graph, with the remedy in words. Never contains a
/// client secret, a private key or an access token.
public enum GraphError: Error, Sendable, Equatable {
    /// AADSTS7000222: the client secret has expired.
    case clientSecretExpired(clientID: String)
    /// AADSTS7000215: the secret sent is not a current secret of the app.
    case invalidClientSecret(clientID: String)
    /// AADSTS700027 and kin: the certificate assertion was not accepted.
    case invalidClientCertificate(clientID: String, detail: String)
    /// AADSTS700016: no app with this client ID in the tenant.
    case applicationNotFound(clientID: String, tenantID: String)
    /// AADSTS90002: no such tenant.
    case tenantNotFound(tenantID: String)
    /// AADSTS7000112: the app is disabled.
    case applicationDisabled(clientID: String)
    /// Any other token endpoint refusal.
    case tokenRequestFailed(aadsts: Int?, error: String, description: String)
    /// 403 ErrorAccessDenied: consent missing or an application access policy excludes the mailbox.
    case accessDenied(mailbox: String, message: String)
    /// 404 ErrorInvalidUser: not the primary address of a mailbox (an alias, or no such user).
    case invalidMailbox(mailbox: String)
    /// MailboxNotEnabledForRESTAPI: inactive, soft-deleted or on-premises mailbox.
    case mailboxNotEnabled(mailbox: String)
    /// 401 that a fresh token did not cure.
    case unauthorized(message: String)
    /// Still throttled (429) after the retries allowed.
    case throttled(retryAfter: Double?)
    /// Still 503/504 after the retries allowed.
    case serviceUnavailable(status: Int)
    /// Any other Graph error response.
    case service(status: Int, code: String, message: String)
    /// No complete HTTP response (connection refused or dropped, timeout).
    case transport(CurlError)
    /// A request that must not be repeated (sendMail, send, creating a draft, move) may have been
    /// carried out, but its answer was lost or was a 5xx: whether it took effect has to be found out
    /// by reading the mailbox before anything is sent again.
    case outcomeUnknown(operation: String, detail: String)
    /// A request was not sent: by the time the mailbox's request limit let it go, its caller no longer
    /// wanted it (its time had passed, or its work was taken back). Nothing reached Graph.
    case withheld(operation: String)
    /// A response that is not what Graph documents.
    case invalidResponse(String)
    /// The task was cancelled while waiting to retry.
    case cancelled
}

extension GraphError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .clientSecretExpired(let client):
            return "client secret expired (AADSTS7000222) for app \(client): create a new secret under Certificates & secrets and update the account's client secret"
        case .invalidClientSecret(let client):
            return "invalid client secret (AADSTS7000215) for app \(client): use the secret's Value, not its Secret ID; if it was rotated, update the account"
        case .invalidClientCertificate(let client, let detail):
            return "certificate credential rejected for app \(client) (\(detail)): upload the certificate to the app registration and use its private key"
        case .applicationNotFound(let client, let tenant):
            return "application \(client) not found in tenant \(tenant) (AADSTS700016): check the Application (client) ID and the Directory (tenant) ID"
        case .tenantNotFound(let tenant):
            return "tenant \(tenant) not found (AADSTS90002): check the Directory (tenant) ID and the cloud (global or national)"
        case .applicationDisabled(let client):
            return "application \(client) is disabled (AADSTS7000112): an administrator must enable it in Enterprise applications"
        case .tokenRequestFailed(let code, let error, let text):
            return "token request refused (\(code.map { "AADSTS\($0)" } ?? error)): \(text)"
        case .accessDenied(let mailbox, let message):
            return "access to \(mailbox) denied (ErrorAccessDenied: \(message)): grant admin consent for Mail.ReadWrite and Mail.Send, and check that no application access policy excludes this mailbox"
        case .invalidMailbox(let mailbox):
            return "\(mailbox) is not a mailbox (ErrorInvalidUser): use the mailbox's primary address, not an alias"
        case .mailboxNotEnabled(let mailbox):
            return "\(mailbox) cannot be reached through Graph (MailboxNotEnabledForRESTAPI): the mailbox is inactive, soft-deleted or hosted on-premises"
        case .unauthorized(let message):
            return "Graph refused the access token (401: \(message)) even after a fresh one was obtained"
        case .throttled(let retryAfter):
            return "Graph is throttling this mailbox (429)\(retryAfter.map { "; retry after \($0) s" } ?? "")"
        case .serviceUnavailable(let status):
            return "Graph is unavailable (\(status)); try again later"
        case .service(let status, let code, let message):
            return "Graph error \(status) \(code): \(message)"
        case .transport(let error):
            return error.description
        case .outcomeUnknown(let operation, let detail):
            return "\(operation) may have been carried out, but its answer was lost (\(detail)); the mailbox must be read before it is repeated"
        case .withheld(let operation):
            return "\(operation) was not sent: it was no longer wanted when the mailbox's request limit let it go"
        case .invalidResponse(let detail):
            return "unexpected response from Graph: \(detail)"
        case .cancelled:
            return "cancelled"
        }
    }

    /// True when the same request may succeed later without any change of configuration.
    public var isTransient: Bool {
        switch self {
        case .throttled, .serviceUnavailable, .withheld: return true
        case .transport(let error): return error.isTransient
        default: return false
        }
    }

    /// For a request that is not idempotent: Graph certainly did not carry it out. The client turns
    /// every failure that leaves doubt (a lost answer, a timeout, a 5xx) into ``outcomeUnknown(operation:detail:)``;
    /// what remains is a refusal (4xx, or 429 after the retries allowed) or a request that never left
    /// (withheld, no token, a connection never made, cancelled while waiting to retry). An answer that
    /// is not as documented proves nothing either way.
    public var certainlyNotCarriedOut: Bool {
        switch self {
        case .outcomeUnknown, .invalidResponse: return false
        default: return true
        }
    }

    /// The app registration's credentials or the tenant are wrong (a secret expired or mistyped, a
    /// certificate not uploaded, the app disabled or missing, a 401 a fresh token did not cure): an
    /// administrator must change the account or the app.
    public var isCredentialProblem: Bool {
        switch self {
        case .clientSecretExpired, .invalidClientSecret, .invalidClientCertificate, .applicationNotFound, .tenantNotFound,
             .applicationDisabled, .tokenRequestFailed, .unauthorized:
            return true
        default:
            return false
        }
    }

    /// The mailbox cannot be used as configured (consent or an access policy refuses it, an alias instead
    /// of the primary address, a mailbox not enabled for REST): the account must name another.
    public var isMailboxProblem: Bool {
        switch self {
        case .accessDenied, .invalidMailbox, .mailboxNotEnabled: return true
        default: return false
        }
    }
}
