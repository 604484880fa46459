/// At most `limit` concurrent requests per mailbox from this process (Exchange Online allows four per
/// app and mailbox), paced by a token bucket when `pacing` is set. Waiters for a slot are served in
/// arrival order.
actor MailboxGate {
    private let limit: Int
    private let pacing: RequestPacing?
    private var running: [String: Int] = [:]
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]
    private var buckets: [String: TokenBucket] = [:]

    init(limit: Int, pacing: RequestPacing?) {
        precondition(limit > 0)
        self.limit = limit
        self.pacing = pacing
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
        if var queue = waiting[mailbox], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[mailbox] = queue.isEmpty ? nil : queue
            next.resume()  // the slot passes straight to the next waiter
        } else {
            running[mailbox, default: 1] -= 1
            if running[mailbox] == 0 { running[mailbox] = nil }
        }
    }
}
