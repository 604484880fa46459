import Foundation

/// Everything the sandbox knows: apps, mailboxes and their messages, issued tokens, counters, limits
/// and faults. One actor, so that every request sees a consistent state.
actor SandboxState {
    struct AppRecord {
        let tenantID: String
        let clientID: String
        let secrets: [SandboxSeed.ClientSecret]
        let certificates: [SandboxSeed.Certificate]
        let disabled: Bool
        let permissions: Set<String>
        let allowedMailboxes: Set<String>?
    }

    struct IssuedToken {
        let tenantID: String
        let clientID: String
        let expires: Date
    }

    var apps: [String: AppRecord] = [:]          // "tenant/client"
    var tenants: Set<String> = []
    var mailboxes: [String: MailboxRecord] = [:] // lowercased primary address
    var tokens: [String: IssuedToken] = [:]
    var seed: SandboxSeed
    var faults = SandboxFaults()
    var usage: [String: MailboxUsage] = [:]      // "client/mailbox"
    var uploadSessions: [String: UploadSession] = [:]
    /// internetMessageHeaders of drafts, sent with them.
    var draftHeaders: [String: [OutgoingMessageJSON.Header]] = [:]
    var counters = SandboxCounters()
    /// Requests in progress, by app and mailbox, limits on or off.
    var inProgress: [String: Int] = [:]

    init(seed: SandboxSeed) {
        self.seed = seed
        for tenant in seed.tenants {
            tenants.insert(tenant.id.lowercased())
            for app in tenant.apps {
                apps["\(tenant.id.lowercased())/\(app.clientId.lowercased())"] = AppRecord(
                    tenantID: tenant.id.lowercased(), clientID: app.clientId.lowercased(), secrets: app.secrets,
                    certificates: app.certificates ?? [], disabled: app.disabled ?? false,
                    permissions: Set(app.permissions ?? ["Mail.ReadWrite", "Mail.Send"]),
                    allowedMailboxes: app.allowedMailboxes.map { Set($0.map { $0.lowercased() }) })
            }
            for mailbox in tenant.mailboxes {
                mailboxes[mailbox.address.lowercased()] = MailboxRecord(
                    address: mailbox.address, tenantID: tenant.id.lowercased(),
                    aliases: Set((mailbox.aliases ?? []).map { $0.lowercased() }), restEnabled: mailbox.restEnabled ?? true)
            }
        }
    }

    // MARK: Tokens

    /// The client-credentials grant: checks tenant, app, secret or certificate assertion, scope.
    func issueToken(tenant rawTenant: String, form: [String: String], tokenURL: String) throws(TokenFailure) -> (String, Int) {
        let tenant = rawTenant.lowercased()
        guard form["grant_type"] == "client_credentials" else {
            throw form["grant_type"] == nil ? .missingParameter("grant_type") : .unsupportedGrant
        }
        guard let client = form["client_id"]?.lowercased(), !client.isEmpty else { throw .missingParameter("client_id") }
        guard let scope = form["scope"] else { throw .missingParameter("scope") }
        guard tenants.contains(tenant) else { throw .tenantNotFound(rawTenant) }
        guard let app = apps["\(tenant)/\(client)"] else { throw .applicationNotFound(client, tenant: rawTenant) }
        guard scope.hasSuffix("/.default") else { throw .invalidScope(scope) }
        if let secret = form["client_secret"] {
            guard let match = app.secrets.first(where: { $0.value == secret }) else { throw .invalidSecret(client) }
            if match.expired == true { throw .expiredSecret(client) }
        } else if let assertion = form["client_assertion"] {
            guard AssertionVerifier.verify(assertion, clientID: client, audience: tokenURL, certificates: app.certificates) else {
                throw .invalidAssertion
            }
        } else {
            throw .missingParameter("client_assertion' or 'client_secret")
        }
        guard !app.disabled else { throw .disabled(client) }
        let token = "sandbox." + SandboxID.guid() + SandboxID.guid()
        tokens[token] = IssuedToken(tenantID: tenant, clientID: client,
                                    expires: Date().addingTimeInterval(Double(seed.tokenLifetimeSeconds)))
        counters.tokensIssued += 1
        return (token, seed.tokenLifetimeSeconds)
    }

    // MARK: Graph authorization

    /// Resolves a Graph call: the bearer token, the mailbox named in the URL, the permission it needs.
    /// Returns the usage key for limits and the mailbox key.
    func authorize(bearer: String?, user rawUser: String, permission: String) throws(GraphFailure) -> (usage: String, mailbox: String) {
        guard let bearer, !bearer.isEmpty else { throw .invalidToken("Access token is empty.") }
        guard let token = tokens[bearer] else { throw .invalidToken("Access token validation failure. Invalid audience.") }
        guard token.expires > Date() else { throw .invalidToken("Lifetime validation failed, the token is expired.") }
        let user = rawUser.lowercased()
        guard let mailbox = mailboxes[user], mailbox.tenantID == token.tenantID else { throw .invalidUser(rawUser) }
        guard mailbox.restEnabled else { throw .mailboxNotEnabled }
        guard let app = apps["\(token.tenantID)/\(token.clientID)"],
              app.permissions.contains(permission) || (permission == "Mail.Read" && app.permissions.contains("Mail.ReadWrite")),
              app.allowedMailboxes?.contains(user) ?? true else {
            throw .accessDenied
        }
        return ("\(token.clientID)/\(user)", user)
    }

    // MARK: Counters and settings

    func record(route: String, status: Int) {
        counters.requests["\(route) \(status)", default: 0] += 1
    }

    func statistics() -> SandboxCounters { counters }

    func resetStatistics() { counters = SandboxCounters() }

    func setFaults(_ faults: SandboxFaults) { self.faults = faults }

    /// The faults for the next Graph request: a scripted one if any is left (consumed), and the rates.
    func nextFaults() -> (scripted: SandboxFaults.ScriptedFault?, rates: SandboxFaults) {
        (faults.script.isEmpty ? nil : faults.script.removeFirst(), faults)
    }

    /// Makes every issued token invalid, as a revocation or key rollover would.
    func revokeTokens() { tokens.removeAll() }

    func setLimits(_ limits: SandboxLimits) { seed.limits = limits }
}

/// Counters read back through `GET /_sandbox/stats`.
public struct SandboxCounters: Codable, Sendable {
    /// Requests by "METHOD route status".
    public var requests: [String: Int] = [:]
    public var tokensIssued = 0
    public var messagesSent = 0
    /// The most requests in progress at once, by app and mailbox (`<client id>/<mailbox>`), limits on or off.
    public var peakConcurrentRequests: [String: Int] = [:]

    public init() {}

    /// Requests whose key starts with `prefix` (e.g. "GET /v1.0/users/:user/messages/:id/$value").
    public func count(_ prefix: String) -> Int {
        requests.filter { $0.key.hasPrefix(prefix) }.values.reduce(0, +)
    }
}
