import Synchronization

/// Notifications this process is working on, by ID. A second copy of one (the broker delivers it again
/// when the connection that carried the first dropped, often to the same process) waits until the
/// first is done instead of being sent alongside it; then the dedupe record or the server tells it
/// what happened.
final class InFlightNotifications: Sendable {
    private let waiting = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    /// Runs `body` once no other call for `id` is running in this process.
    func exclusively<T: Sendable>(_ id: String, _ body: () async -> T) async -> T {
        await withCheckedContinuation { (turn: CheckedContinuation<Void, Never>) in
            let first = waiting.withLock { waiting in
                guard waiting[id] != nil else {
                    waiting[id] = []
                    return true
                }
                waiting[id]!.append(turn)
                return false
            }
            if first { turn.resume() }
        }
        let result = await body()
        let next = waiting.withLock { waiting -> CheckedContinuation<Void, Never>? in
            guard let queue = waiting[id], let next = queue.first else {
                waiting[id] = nil
                return nil
            }
            waiting[id] = Array(queue.dropFirst())
            return next
        }
        next?.resume()
        return result
    }
}
