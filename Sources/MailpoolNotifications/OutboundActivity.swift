import FoundationEssentials
import MailpoolAMQP
import Synchronization

/// What one worker did for each sending account lately: sends in the last minute and the last error
/// within the hour. Every ``publishInterval`` while there is something to say, the worker publishes a
/// snapshot to ``NotificationNames/activityQueue``; `mailpool status` sums the latest snapshot of each
/// worker, from any machine, and the hour of snapshots outlives a worker's restart.
public final class OutboundActivity: Sendable {
    /// A worker's activity at one moment.
    public struct Snapshot: Codable, Sendable {
        /// The worker: host and process ID.
        public let worker: String
        public let at: Date
        /// The pool's sends per minute per sender mailbox (`--per-minute`; 0: no limit).
        public let perMinute: Int
        public let accounts: [String: Account]

        public struct Account: Codable, Sendable {
            public let sentLastMinute: Int
            public let lastError: String?
            public let lastErrorAt: Date?
        }
    }

    public static let publishInterval: Duration = .seconds(10)

    private struct State {
        var sends: [String: [Date]] = [:]
        var errors: [String: (text: String, at: Date)] = [:]
    }

    private let worker = "\(ProcessInfo.processInfo.hostName) pid \(ProcessInfo.processInfo.processIdentifier)"
    private let perMinute: Int
    private let state = Mutex(State())

    init(perMinute: Int) {
        self.perMinute = perMinute
    }

    func sent(account: String, at now: Date = Date()) {
        state.withLock { $0.sends[account, default: []].append(now) }
    }

    func failed(account: String, error: String, at now: Date = Date()) {
        state.withLock { $0.errors[account] = (error, now) }
    }

    /// The snapshot at `now`, forgetting what is too old to show; nil when there was nothing in the last
    /// minute (no send, no new error), so that an idle worker publishes nothing.
    func snapshot(at now: Date = Date()) -> Snapshot? {
        state.withLock { state in
            for (account, times) in state.sends {
                let recent = times.filter { now.timeIntervalSince($0) < 60 }
                state.sends[account] = recent.isEmpty ? nil : recent
            }
            state.errors = state.errors.filter { now.timeIntervalSince($0.value.at) < 3600 }
            guard !state.sends.isEmpty || state.errors.values.contains(where: { now.timeIntervalSince($0.at) < 60 }) else { return nil }
            let accounts = Set(state.sends.keys).union(state.errors.keys)
            return Snapshot(worker: worker, at: now, perMinute: perMinute, accounts: Dictionary(uniqueKeysWithValues: accounts.map { account in
                (account, Snapshot.Account(sentLastMinute: state.sends[account]?.count ?? 0, lastError: state.errors[account]?.text,
                                           lastErrorAt: state.errors[account]?.at))
            }))
        }
    }

    /// Publishes a snapshot every ``publishInterval`` while there is activity, until cancelled.
    func publish(on connection: AMQPConnection) async {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.publishInterval)
            guard let snapshot = snapshot(), let body = try? encoder.encode(snapshot) else { continue }
            try? await connection.publish(OutgoingMessage(exchange: "", routingKey: NotificationNames.activityQueue, body: Array(body),
                                                          properties: AMQPProperties(contentType: "application/json")))
        }
    }

    /// The latest snapshot of each worker among `snapshots`, newest first.
    public static func latestPerWorker(_ snapshots: [Snapshot]) -> [Snapshot] {
        Dictionary(snapshots.map { ($0.worker, $0) }, uniquingKeysWith: { $0.at >= $1.at ? $0 : $1 }).values.sorted { $0.at > $1.at }
    }
}
