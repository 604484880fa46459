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

/// Faults injected into Graph responses (not the token endpoint), for testing clients. Rates are
/// shares of requests, 0 to 1.
public struct SandboxFaults: Codable, Sendable {
    /// Answer 503 ServiceUnavailable.
    public var serviceUnavailableRate: Double
    /// Answer 429 with `Retry-After: throttleRetryAfterSeconds`.
    public var throttleRate: Double
    public var throttleRetryAfterSeconds: Int
    /// Delay the response by `slowMilliseconds`.
    public var slowRate: Double
    public var slowMilliseconds: Int
    /// Close the connection part-way through the response.
    public var dropRate: Double
    /// Faults for the next Graph requests, one each, in order, before the rates apply.
    public var script: [ScriptedFault]

    /// One scripted answer: `status` (429, 503, ...) with an optional `Retry-After`, or a dropped connection.
    public struct ScriptedFault: Codable, Sendable {
        public var status: Int?
        public var retryAfterSeconds: Int?
        public var drop: Bool?

        public init(status: Int? = nil, retryAfterSeconds: Int? = nil, drop: Bool? = nil) {
            self.status = status
            self.retryAfterSeconds = retryAfterSeconds
            self.drop = drop
        }
    }

    public init(serviceUnavailableRate: Double = 0, throttleRate: Double = 0, throttleRetryAfterSeconds: Int = 1,
                slowRate: Double = 0, slowMilliseconds: Int = 0, dropRate: Double = 0, script: [ScriptedFault] = []) {
        self.serviceUnavailableRate = serviceUnavailableRate
        self.throttleRate = throttleRate
        self.throttleRetryAfterSeconds = throttleRetryAfterSeconds
        self.slowRate = slowRate
        self.slowMilliseconds = slowMilliseconds
        self.dropRate = dropRate
        self.script = script
    }

    enum CodingKeys: String, CodingKey {
        case serviceUnavailableRate, throttleRate, throttleRetryAfterSeconds, slowRate, slowMilliseconds, dropRate, script
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(serviceUnavailableRate: try c.decodeIfPresent(Double.self, forKey: .serviceUnavailableRate) ?? 0,
                  throttleRate: try c.decodeIfPresent(Double.self, forKey: .throttleRate) ?? 0,
                  throttleRetryAfterSeconds: try c.decodeIfPresent(Int.self, forKey: .throttleRetryAfterSeconds) ?? 1,
                  slowRate: try c.decodeIfPresent(Double.self, forKey: .slowRate) ?? 0,
                  slowMilliseconds: try c.decodeIfPresent(Int.self, forKey: .slowMilliseconds) ?? 0,
                  dropRate: try c.decodeIfPresent(Double.self, forKey: .dropRate) ?? 0,
                  script: try c.decodeIfPresent([ScriptedFault].self, forKey: .script) ?? [])
    }
}
