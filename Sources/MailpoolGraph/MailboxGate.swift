/// At most `limit` concurrent requests per mailbox from this process (Exchange Online allows four per
/// app and mailbox), paced by a token bucket when `pacing` is set. Waiters for a slot are served in
/// arrival order. When several processes send for the same mailboxes, each takes its share of both
/// (``share(among:)``), so that the pool as a whole keeps to them.
actor MailboxGate {
    private let poolLimit: Int
    private let poolPacing: RequestPacing?
    private var limit: Int
    private var pacing: RequestPacing?
    /// Processes the pool's limits are shared among (see ``share(among:)``).
    private var sharedAmong = 1
    private var running: [String: Int] = [:]
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]
    private var buckets: [String: TokenBucket] = [:]

    init(limit: Int, pacing: RequestPacing?) {
        precondition(limit > 0)
        self.poolLimit = limit
        self.poolPacing = pacing
        self.limit = limit
        self.pacing = pacing
    }

    /// Takes this process's share of the pool's limits, `processes` sharing them: the concurrency
    /// limit divided (at least 1 each, so more processes than the limit can exceed it), the pace
    /// divided. Buckets start afresh with the new pace.
    func share(among processes: Int) {
        let processes = max(1, processes)
        guard processes != sharedAmong else { return }
        sharedAmong = processes
        limit = max(1, poolLimit / processes)
        pacing = poolPacing.map {
            RequestPacing(requestsPerWindow: max(1, $0.requestsPerWindow / processes), windowSeconds: $0.windowSeconds,
                          utilization: $0.utilization, burst: max(1, $0.burst / processes))
        }
        buckets.removeAll()
        // A larger limit lets waiters in at once.
        for (mailbox, queue) in waiting {
            var queue = queue
            while running[mailbox, default: 0] < limit, !queue.isEmpty {
                running[mailbox, default: 0] += 1
                queue.removeFirst().resume()
            }
            waiting[mailbox] = queue.isEmpty ? nil : queue
        }
    }

    /// Runs `body` holding one of the mailbox's slots, once the mailbox's pace allows another request.
    /// The pace is taken last, right before the request goes out, so that requests reach the server
    /// spaced as they were admitted rather than bunched up behind the concurrency limit.
    func withSlot<T: Sendable>(_ mailbox: String, _ body: @Sendable () async throws -> T) async throws -> T {
        await acquire(mailbox)
        defer { release(mailbox) }
        try await paced(mailbox)
        return try await body()
    }

    private func paced(_ mailbox: String) async throws {
        guard let pacing else { return }
        while true {
            let wait = buckets[mailbox, default: TokenBucket(pacing: pacing)].take()
            if wait == 0 { return }
            try await Task.sleep(for: .milliseconds(Int((wait * 1000).rounded(.up))))
        }
    }

    private func acquire(_ mailbox: String) async {
        if running[mailbox, default: 0] < limit {
            running[mailbox, default: 0] += 1
            return
        }
        await withCheckedContinuation { waiting[mailbox, default: []].append($0) }
    }

    private func release(_ mailbox: String) {
        if running[mailbox, default: 0] > limit {
            running[mailbox, default: 1] -= 1  // the limit shrank: this slot goes
        } else if var queue = waiting[mailbox], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[mailbox] = queue.isEmpty ? nil : queue
            next.resume()  // the slot passes straight to the next waiter
        } else {
            running[mailbox, default: 1] -= 1
            if running[mailbox] == 0 { running[mailbox] = nil }
        }
    }
}
