import MailpoolCore

/// A bearer token from the token endpoint, with the instants it should be refreshed and stops being
/// usable (both on the monotonic clock).
public struct AccessToken: Sendable, Equatable {
    public let value: Secret
    /// From here on a fresh token is fetched in the background while this one is still used.
    public let refreshAt: ContinuousClock.Instant
    /// From here on the token is not sent any more (a little before the real expiry, for clock skew).
    public let expiresAt: ContinuousClock.Instant

    /// Builds the token from the endpoint's `expires_in` and, when present, `refresh_in` (seconds).
    /// Without `refresh_in`, refresh starts 5 minutes before expiry, or half-way for short-lived tokens.
    public init(value: Secret, expiresIn: Int, refreshIn: Int?, issuedAt: ContinuousClock.Instant = .now) {
        self.value = value
        let lifetime = Double(max(expiresIn, 1))
        let skew = min(60, lifetime / 10)
        let refresh = refreshIn.map(Double.init) ?? max(lifetime - 300, lifetime / 2)
        self.expiresAt = issuedAt + .milliseconds(Int((lifetime - skew) * 1000))
        self.refreshAt = issuedAt + .milliseconds(Int(min(refresh, lifetime - skew) * 1000))
    }

    func isUsable(at now: ContinuousClock.Instant) -> Bool { now < expiresAt }
    func needsRefresh(at now: ContinuousClock.Instant) -> Bool { now >= refreshAt }
}
