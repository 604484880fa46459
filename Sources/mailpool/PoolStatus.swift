import FoundationEssentials
import MailpoolAMQP
import MailpoolAccounts
import MailpoolNotifications
import MailpoolPipeline

/// What `mailpool status` shows.
struct PoolStatus: Encodable {
    struct Queue: Encodable {
        let name: String
        let ready: Int
        let unacked: Int
        let consumers: Int
        /// Seconds; nil where the broker does not say (quorum queues).
        let oldestAgeSeconds: Double?
    }

    struct Account: Encodable {
        let name: String
        var inbound: Inbound?
        var outbound: Outbound?

        struct Inbound: Encodable {
            let mailbox: String
            let active: Bool
            let lastSuccess: Date?
            let fetchedThisHour: Int
            let lastError: String?
            let needsAttention: Bool
            let jobOutSince: Date?
            let restingUntil: Date?
        }

        struct Outbound: Encodable {
            let mailbox: String
            let active: Bool
            /// Sends in the last minute, summed over the workers' latest snapshots.
            let sentLastMinute: Int
            /// The pool's limit per sender mailbox, as the workers report it (nil: none reported or no limit).
            let perMinute: Int?
            let lastError: String?
            let lastErrorAt: Date?
            let lastDeadLetter: String?
        }
    }

    let at: Date
    let queues: [Queue]
    let deadLettersByReason: [String: Int]
    /// How many dead letters the breakdown counts; nil when the queue held more than
    /// ``PoolStatusReader/deadLettersCountedAtMost`` and none were counted.
    let deadLettersCounted: Int?
    let leadingPoller: String?
    let standbyPollers: [String]
    let accounts: [Account]

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    func table() -> String {
        var lines = ["mailpool status at \(at.formatted(.iso8601))", "",
                     pad("QUEUE", 44) + pad("READY", 8, right: true) + pad("UNACKED", 9, right: true) + pad("CONSUMERS", 11, right: true) + "  OLDEST"]
        for queue in queues {
            lines.append(pad(queue.name, 44) + pad("\(queue.ready)", 8, right: true) + pad("\(queue.unacked)", 9, right: true)
                         + pad("\(queue.consumers)", 11, right: true) + "  " + (queue.oldestAgeSeconds.map { "\(Int($0)) s" } ?? "n/a"))
        }
        let total = queues.first { $0.name == NotificationNames.deadQueue }.map { $0.ready + $0.unacked } ?? 0
        lines += ["", "DEAD LETTERS BY REASON" + (deadLettersCounted == nil
            ? " (not counted: about \(total), over \(PoolStatusReader.deadLettersCountedAtMost); use mailpool dlq list --reason)" : "")]
        lines += deadLettersByReason.isEmpty ? ["  none"] : deadLettersByReason.sorted { $0.key < $1.key }.map { "  \(pad($0.key, 40)) \($0.value)" }
        lines += ["", "POLLERS", "  leading:  \(leadingPoller ?? "NONE: no mailbox is being polled")"]
        lines += standbyPollers.map { "  standby:  \($0)" }
        lines += ["", "ACCOUNTS"]
        for account in accounts {
            lines.append("  \(account.name)")
            if let inbound = account.inbound {
                var text = "    inbound  \(inbound.mailbox) \(inbound.active ? "active" : "inactive"); last success \(ago(inbound.lastSuccess)); "
                    + "\(inbound.fetchedThisHour) this hour"
                if inbound.needsAttention { text += "; NEEDS ATTENTION" }
                if let until = inbound.restingUntil, until > at { text += "; resting until \(until.formatted(.iso8601))" }
                if let since = inbound.jobOutSince { text += "; job out for \(Int(at.timeIntervalSince(since))) s" }
                if let error = inbound.lastError { text += "; last error: \(error)" }
                lines.append(text)
            }
            if let outbound = account.outbound {
                var text = "    outbound \(outbound.mailbox) \(outbound.active ? "active" : "inactive"); \(outbound.sentLastMinute)"
                    + (outbound.perMinute.map { "/\($0)" } ?? "") + " sent in the last minute"
                if let error = outbound.lastError { text += "; last error \(ago(outbound.lastErrorAt)): \(error)" }
                if let dead = outbound.lastDeadLetter { text += "; last dead letter: \(dead)" }
                lines.append(text)
            }
        }
        return lines.joined(separator: "\n")
    }

    private func ago(_ date: Date?) -> String {
        date.map { "\(Int(at.timeIntervalSince($0))) s ago" } ?? "never"
    }

    private func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let space = String(repeating: " ", count: max(1, width - text.count))
        return right ? space + text : text + space
    }
}

/// Gathers a ``PoolStatus`` from the broker (AMQP and the management API) and the accounts file.
struct PoolStatusReader {
    /// The most dead letters broken down by reason: each status read goes through them all (a
    /// ``QueuePass``), so a larger queue is left to `mailpool dlq list --reason`, and status says so.
    static let deadLettersCountedAtMost = 10_000

    let connection: AMQPConnection
    let management: ManagementAPI
    let catalog: AccountCatalog

    func read() async throws -> PoolStatus {
        let now = Date()
        let queues = try await management.queues().filter { $0.name.hasPrefix("mailpool.") && !$0.name.hasPrefix("mailpool.lock.") }
        let shown = queues.map { queue in
            PoolStatus.Queue(name: queue.name, ready: queue.messages_ready ?? 0, unacked: queue.messages_unacknowledged ?? 0,
                             consumers: queue.consumers ?? 0,
                             oldestAgeSeconds: queue.head_message_timestamp.map { max(0, now.timeIntervalSince1970 - $0) })
        }.sorted { $0.name < $1.name }

        var reasons: [String: Int] = [:]
        var lastDeadLetter: [String: String] = [:]
        let defaultSender = catalog.defaultNotificationAccount?.name
        var counted: Int? = 0
        if let dead = shown.first(where: { $0.name == NotificationNames.deadQueue }) {
            if dead.ready + dead.unacked > Self.deadLettersCountedAtMost {
                counted = nil
            } else {
                counted = try await DeadLetters(connection: connection).forEach { entry in
                    reasons[entry.reasonCode, default: 0] += 1
                    if let account = entry.account ?? defaultSender {
                        lastDeadLetter[account] = "\(entry.reason) (\(entry.deadAt?.formatted(.iso8601) ?? "?"))"
                    }
                }
            }
        }

        let pollers = try await management.connections().filter { $0.client_properties?.connection_name?.hasPrefix("mailpool-poller") == true }
        let owner = try? await management.queue(PipelineNames.pollerLock).owner_pid_details?.name
        let leading = pollers.first { $0.name == owner }?.client_properties?.connection_name
        let standbys = pollers.filter { $0.name != owner }.compactMap { $0.client_properties?.connection_name }

        let state = try? await PollerState.read(from: connection)
        let activity = OutboundActivity.latestPerWorker(try await activitySnapshots(at: now))
        let recent = activity.filter { now.timeIntervalSince($0.at) < 60 }
        let accounts = catalog.accounts.map { account -> PoolStatus.Account in
            var status = PoolStatus.Account(name: account.name)
            if let inbound = account.inbound {
                let key = inbound.mailbox.lowercased()
                let mailbox = state?.mailboxes[key]
                status.inbound = .init(mailbox: inbound.mailbox, active: inbound.active, lastSuccess: mailbox?.lastSuccess,
                                       fetchedThisHour: mailbox.map { now.timeIntervalSince($0.hourStart) < 3600 ? $0.fetchedThisHour : 0 } ?? 0,
                                       lastError: mailbox?.lastError, needsAttention: mailbox?.needsAttention ?? false,
                                       jobOutSince: state?.outstanding[key]?.issuedAt, restingUntil: state?.restingUntil[key])
            }
            if let outbound = account.outbound {
                let lastError = activity.compactMap { $0.accounts[account.name] }.filter { $0.lastError != nil }
                    .max { ($0.lastErrorAt ?? .distantPast) < ($1.lastErrorAt ?? .distantPast) }
                status.outbound = .init(mailbox: outbound.mailbox, active: outbound.active,
                                        sentLastMinute: recent.reduce(0) { $0 + ($1.accounts[account.name]?.sentLastMinute ?? 0) },
                                        perMinute: activity.first.flatMap { $0.perMinute > 0 ? $0.perMinute : nil },
                                        lastError: lastError?.lastError, lastErrorAt: lastError?.lastErrorAt,
                                        lastDeadLetter: lastDeadLetter[account.name])
            }
            return status
        }
        return PoolStatus(at: now, queues: shown, deadLettersByReason: reasons, deadLettersCounted: counted, leadingPoller: leading, standbyPollers: standbys, accounts: accounts)
    }

    /// The workers' activity snapshots of the last hour (at most 512). Reading moves each to the
    /// queue's tail, which restarts its TTL, so the older ones are dropped here.
    private func activitySnapshots(at now: Date) async throws -> [OutboundActivity.Snapshot] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var snapshots: [OutboundActivity.Snapshot] = []
        do {
            try await QueuePass(queue: NotificationNames.activityQueue, connection: connection).run { delivery in
                guard let snapshot = try? decoder.decode(OutboundActivity.Snapshot.self, from: Data(delivery.body)),
                      now.timeIntervalSince(snapshot.at) < 3600 else { return .drop }
                snapshots.append(snapshot)
                return .keep
            }
        } catch AMQPError.notFound {
            return []  // no notification worker has run yet
        }
        return snapshots
    }
}
