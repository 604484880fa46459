import MailpoolCurl

/// App-only tokens shared by every job in the process, keyed by (authority, tenant, client, scope).
///
/// - Single flight: however many callers ask at once, one token request per key is in flight.
/// - Proactive refresh: past a token's refresh instant, callers still get it while one background
///   request fetches the next; a caller waits only when there is no usable token at all.
/// - ``invalidate(_:for:cloud:)`` drops a token Graph refused (401), so the next call fetches a new one.
public actor TokenCache {
    private struct Key: Hashable {
        let authority: String
        let tenant: String
        let client: String
        let scope: String
    }

    private struct Entry {
        var token: AccessToken?
        var refresh: Task<AccessToken, any Error>?
    }

    private let endpoint: TokenEndpoint
    private var entries: [Key: Entry] = [:]
    /// Token requests sent (successful or not), for tests and metrics.
    public private(set) var requestsSent = 0

    /// `caFile`: PEM bundle trusted for the token endpoint (nil: the system's store).
    public init(engine: CurlEngine, caFile: String? = nil) {
        endpoint = TokenEndpoint(engine: engine, caFile: caFile)
    }

    /// A token for `app` in `cloud`, from the cache when it is still usable.
    public func token(for app: GraphApp, cloud: GraphCloud) async throws(GraphError) -> AccessToken {
        let key = Key(authority: cloud.authority, tenant: app.tenantID, client: app.clientID, scope: cloud.scope)
        let now = ContinuousClock.now
        if let token = entries[key]?.token, token.isUsable(at: now) {
            if token.needsRefresh(at: now) { _ = startRefresh(key, app: app, cloud: cloud) }
            return token
        }
        let refresh = entries[key]?.refresh ?? startRefresh(key, app: app, cloud: cloud)
        do {
            return try await refresh.value
        } catch let error as GraphError {
            throw error
        } catch {
            throw .invalidResponse("\(error)")
        }
    }

    /// Forgets `token` if it is still the cached one for `app`.
    public func invalidate(_ token: AccessToken, for app: GraphApp, cloud: GraphCloud) {
        let key = Key(authority: cloud.authority, tenant: app.tenantID, client: app.clientID, scope: cloud.scope)
        if entries[key]?.token == token { entries[key]?.token = nil }
    }

    private func startRefresh(_ key: Key, app: GraphApp, cloud: GraphCloud) -> Task<AccessToken, any Error> {
        if let running = entries[key]?.refresh { return running }
        requestsSent += 1
        let endpoint = self.endpoint
        let task = Task { () async throws -> AccessToken in
            do {
                let token = try await endpoint.requestToken(app: app, cloud: cloud)
                self.store(token, for: key)
                return token
            } catch {
                self.refreshFailed(for: key)
                throw error
            }
        }
        entries[key, default: Entry()].refresh = task
        return task
    }

    private func store(_ token: AccessToken, for key: Key) {
        entries[key] = Entry(token: token, refresh: nil)
    }

    private func refreshFailed(for key: Key) {
        entries[key]?.refresh = nil
    }
}
