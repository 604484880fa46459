import Foundation

/// Exchange Online's per-mailbox limits for one app: concurrent requests, requests per ten minutes,
/// messages sent per minute. Enforced only when ``SandboxLimits/enabled``.
extension SandboxState {
    /// A Graph request's start, in one step on the actor (each step is a hop, and requests queue for
    /// it): authorizes the token for the mailbox, admits the request under the limits (a refusal is
    /// thrown), and draws whether the faults make it slow. Returns the usage key to release when done,
    /// the mailbox, and the slow response's pause in milliseconds.
    func begin(bearer: String?, user: String, permission: String, isSend: Bool) throws(GraphFailure)
        -> (usage: String, mailbox: String, pause: Int?) {
        let (usage, mailbox) = try authorize(bearer: bearer, user: user, permission: permission)
        if let refusal = admit(usage: usage, isSend: isSend) { throw refusal }
        let slow = faults.slowRate > 0 && Double.random(in: 0..<1) < faults.slowRate
        return (usage, mailbox, slow ? faults.slowMilliseconds : nil)
    }

    /// Admits a request or says why not (429 with `Retry-After`). Admitted requests must be released.
    func admit(usage key: String, isSend: Bool) -> GraphFailure? {
        let limits = seed.limits
        guard limits.enabled else {
            count(in: key)
            return nil
        }
        let now = Date().timeIntervalSince1970
        var current = usage[key] ?? MailboxUsage()
        let window = limits.requestWindowSeconds
        current.requestTimes.removeFirst(current.requestTimes.prefix { $0 <= now - window }.count)
        current.sendTimes.removeFirst(current.sendTimes.prefix { $0 <= now - 60 }.count)
        defer { usage[key] = current }
        if current.inFlight >= limits.concurrentRequests {
            return .throttled("Application is over its MailboxConcurrency limit.", retryAfter: 1)
        }
        if current.requestTimes.count >= limits.requestsPerTenMinutes {
            return .throttled("Application is over its request limit for this mailbox (\(limits.requestsPerTenMinutes) per \(Int(window)) s).",
                              retryAfter: Int((current.requestTimes[0] + window - now).rounded(.up)))
        }
        if isSend, current.sendTimes.count >= limits.messagesSentPerMinute {
            return .throttled("The mailbox is over its message rate limit (\(limits.messagesSentPerMinute) messages per minute).",
                              retryAfter: Int((current.sendTimes[0] + 60 - now).rounded(.up)))
        }
        current.inFlight += 1
        count(in: key)
        current.requestTimes.append(now)
        if isSend { current.sendTimes.append(now) }
        return nil
    }

    func release(usage key: String) {
        inProgress[key, default: 1] -= 1
        guard seed.limits.enabled, usage[key] != nil else { return }
        usage[key]!.inFlight = max(0, usage[key]!.inFlight - 1)
    }

    private func count(in key: String) {
        inProgress[key, default: 0] += 1
        counters.peakConcurrentRequests[key] = max(counters.peakConcurrentRequests[key] ?? 0, inProgress[key]!)
    }
}
