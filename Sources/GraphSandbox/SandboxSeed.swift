/// What the sandbox starts with: tenants, their app registrations and mailboxes, token lifetime and
/// limits. Loaded from a JSON file (`mailpool sandbox --seed FILE`); see `deploy/sandbox/seed.json`.
public struct SandboxSeed: Codable, Sendable {
    public var tenants: [Tenant]
    /// Lifetime of issued tokens in seconds (`expires_in`); Graph's usual is about an hour.
    public var tokenLifetimeSeconds: Int
    /// Sent as `refresh_in` when set.
    public var tokenRefreshInSeconds: Int?
    public var limits: SandboxLimits

    public init(tenants: [Tenant], tokenLifetimeSeconds: Int = 3599, tokenRefreshInSeconds: Int? = nil,
                limits: SandboxLimits = SandboxLimits()) {
        self.tenants = tenants
        self.tokenLifetimeSeconds = tokenLifetimeSeconds
        self.tokenRefreshInSeconds = tokenRefreshInSeconds
        self.limits = limits
    }

    public struct Tenant: Codable, Sendable {
        public var id: String
        public var apps: [App]
        public var mailboxes: [Mailbox]

        public init(id: String, apps: [App], mailboxes: [Mailbox]) {
            self.id = id
            self.apps = apps
            self.mailboxes = mailboxes
        }
    }

    public struct App: Codable, Sendable {
        public var clientId: String
        public var secrets: [ClientSecret]
        public var certificates: [Certificate]?
        public var disabled: Bool?
        /// Application permissions with admin consent; by default Mail.ReadWrite and Mail.Send.
        public var permissions: [String]?
        /// An application access policy: when set, only these mailboxes may be used.
        public var allowedMailboxes: [String]?

        public init(clientId: String, secrets: [ClientSecret], certificates: [Certificate]? = nil, disabled: Bool? = nil,
                    permissions: [String]? = nil, allowedMailboxes: [String]? = nil) {
            self.clientId = clientId
            self.secrets = secrets
            self.certificates = certificates
            self.disabled = disabled
            self.permissions = permissions
            self.allowedMailboxes = allowedMailboxes
        }
    }

    public struct ClientSecret: Codable, Sendable {
        public var value: String
        public var expired: Bool?

        public init(value: String, expired: Bool? = nil) {
            self.value = value
            self.expired = expired
        }
    }

    /// A certificate credential: the certificate (for its thumbprint) and its public key, both PEM.
    public struct Certificate: Codable, Sendable {
        public var certificatePEM: String
        public var publicKeyPEM: String

        public init(certificatePEM: String, publicKeyPEM: String) {
            self.certificatePEM = certificatePEM
            self.publicKeyPEM = publicKeyPEM
        }
    }

    public struct Mailbox: Codable, Sendable {
        /// Primary SMTP address.
        public var address: String
        /// Other addresses; Graph answers ErrorInvalidUser for them.
        public var aliases: [String]?
        /// False for a mailbox Graph cannot reach (MailboxNotEnabledForRESTAPI).
        public var restEnabled: Bool?

        public init(address: String, aliases: [String]? = nil, restEnabled: Bool? = nil) {
            self.address = address
            self.aliases = aliases
            self.restEnabled = restEnabled
        }
    }
}

/// Exchange Online's per-mailbox limits for one app, enforced with 429 and `Retry-After` when enabled.
public struct SandboxLimits: Codable, Sendable {
    public var enabled: Bool
    public var concurrentRequests: Int
    /// Requests allowed per window (Exchange Online: 10,000 per 10 minutes).
    public var requestsPerTenMinutes: Int
    /// The request window in seconds: 600 as documented; shorter to run quota experiments quickly at the
    /// same rate.
    public var requestWindowSeconds: Double
    public var messagesSentPerMinute: Int

    public init(enabled: Bool = false, concurrentRequests: Int = 4, requestsPerTenMinutes: Int = 10_000,
                requestWindowSeconds: Double = 600, messagesSentPerMinute: Int = 30) {
        self.enabled = enabled
        self.concurrentRequests = concurrentRequests
        self.requestsPerTenMinutes = requestsPerTenMinutes
        self.requestWindowSeconds = requestWindowSeconds
        self.messagesSentPerMinute = messagesSentPerMinute
    }

    enum CodingKeys: String, CodingKey {
        case enabled, concurrentRequests, requestsPerTenMinutes, requestWindowSeconds, messagesSentPerMinute
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(enabled: try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? false,
                  concurrentRequests: try c.decodeIfPresent(Int.self, forKey: .concurrentRequests) ?? 4,
                  requestsPerTenMinutes: try c.decodeIfPresent(Int.self, forKey: .requestsPerTenMinutes) ?? 10_000,
                  requestWindowSeconds: try c.decodeIfPresent(Double.self, forKey: .requestWindowSeconds) ?? 600,
                  messagesSentPerMinute: try c.decodeIfPresent(Int.self, forKey: .messagesSentPerMinute) ?? 30)
    }
}

