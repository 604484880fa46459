/// Faults injected into Graph responses (not the token endpoint), for testing clients, and how late
/// Exchange files sent mail. Rates are shares of requests, 0 to 1.
///
/// Two kinds: refusals, where Graph does nothing (503, 429, a connection dropped part-way through a
/// response), and faults *after the work*, where the request is carried out and the answer is lost
/// (the connection closes before any response byte, which makes libcurl re-send the request by itself
/// when it came on a reused connection), is a 504, or is the usual 2xx with a `Retry-After` that a
/// client must not take as a reason to send again.
public struct SandboxFaults: Codable, Sendable {
    /// Answer 503 ServiceUnavailable.
    public var serviceUnavailableRate: Double
    /// Answer 429 with `Retry-After: throttleRetryAfterSeconds`.
    public var throttleRate: Double
    public var throttleRetryAfterSeconds: Int
    /// Delay the response by `slowMilliseconds`.
    public var slowRate: Double
    public var slowMilliseconds: Int
    /// Close the connection part-way through the response, without doing the work.
    public var dropRate: Double
    /// Do the work, then close the connection before any byte of the response.
    public var lostResponseRate: Double
    /// Do the work, then answer 504 GatewayTimeout.
    public var gatewayTimeoutRate: Double
    /// Do the work and answer as usual, adding `Retry-After`.
    public var retryAfterOnSuccessRate: Double
    /// Seconds from accepting a message (sendMail, send) to filing it in Sent Items. Until then a sent
    /// draft still reads as a draft in Drafts, and sending it again sends it again.
    public var sentItemsDelaySeconds: Double
    /// Faults for the next Graph requests, one each, in order, before the rates apply.
    public var script: [ScriptedFault]

    /// One scripted answer: `status` (429, 503, ...) with an optional `Retry-After`, a dropped
    /// connection, or the work done and then a lost response or `statusAfterWork`.
    public struct ScriptedFault: Codable, Sendable {
        public var status: Int?
        public var retryAfterSeconds: Int?
        public var drop: Bool?
        public var lostResponse: Bool?
        public var statusAfterWork: Int?

        public init(status: Int? = nil, retryAfterSeconds: Int? = nil, drop: Bool? = nil, lostResponse: Bool? = nil,
                    statusAfterWork: Int? = nil) {
            self.status = status
            self.retryAfterSeconds = retryAfterSeconds
            self.drop = drop
            self.lostResponse = lostResponse
            self.statusAfterWork = statusAfterWork
        }
    }

    public init(serviceUnavailableRate: Double = 0, throttleRate: Double = 0, throttleRetryAfterSeconds: Int = 1,
                slowRate: Double = 0, slowMilliseconds: Int = 0, dropRate: Double = 0, lostResponseRate: Double = 0,
                gatewayTimeoutRate: Double = 0, retryAfterOnSuccessRate: Double = 0, sentItemsDelaySeconds: Double = 0,
                script: [ScriptedFault] = []) {
        self.serviceUnavailableRate = serviceUnavailableRate
        self.throttleRate = throttleRate
        self.throttleRetryAfterSeconds = throttleRetryAfterSeconds
        self.slowRate = slowRate
        self.slowMilliseconds = slowMilliseconds
        self.dropRate = dropRate
        self.lostResponseRate = lostResponseRate
        self.gatewayTimeoutRate = gatewayTimeoutRate
        self.retryAfterOnSuccessRate = retryAfterOnSuccessRate
        self.sentItemsDelaySeconds = sentItemsDelaySeconds
        self.script = script
    }

    enum CodingKeys: String, CodingKey {
        case serviceUnavailableRate, throttleRate, throttleRetryAfterSeconds, slowRate, slowMilliseconds, dropRate
        case lostResponseRate, gatewayTimeoutRate, retryAfterOnSuccessRate, sentItemsDelaySeconds, script
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func rate(_ key: CodingKeys) throws -> Double { try c.decodeIfPresent(Double.self, forKey: key) ?? 0 }
        self.init(serviceUnavailableRate: try rate(.serviceUnavailableRate), throttleRate: try rate(.throttleRate),
                  throttleRetryAfterSeconds: try c.decodeIfPresent(Int.self, forKey: .throttleRetryAfterSeconds) ?? 1,
                  slowRate: try rate(.slowRate), slowMilliseconds: try c.decodeIfPresent(Int.self, forKey: .slowMilliseconds) ?? 0,
                  dropRate: try rate(.dropRate), lostResponseRate: try rate(.lostResponseRate),
                  gatewayTimeoutRate: try rate(.gatewayTimeoutRate), retryAfterOnSuccessRate: try rate(.retryAfterOnSuccessRate),
                  sentItemsDelaySeconds: try rate(.sentItemsDelaySeconds),
                  script: try c.decodeIfPresent([ScriptedFault].self, forKey: .script) ?? [])
    }
}
