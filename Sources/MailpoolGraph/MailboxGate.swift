/// At most `limit` concurrent requests per mailbox from this process (Exchange Online allows four per
/// app and mailbox). Waiters are served in arrival order.
actor MailboxGate {
    private let limit: Int
    private var running: [String: Int] = [:]
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    init(limit: Int) {
        precondition(limit > 0)
        self.limit = limit
    }

    /// Runs `body` holding one of the mailbox's slots.
    func withSlot<T: Sendable>(_ mailbox: String, _ body: @Sendable () async throws -> T) async throws -> T {
        await acquire(mailbox)
        defer { release(mailbox) }
        return try await body()
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
