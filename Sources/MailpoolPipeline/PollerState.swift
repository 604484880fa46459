import FoundationEssentials
import MailpoolAMQP

/// The leading poller's view of the pool, kept in memory and written to `mailpool.poller.state` before
/// any job it describes is published: which mailboxes have a job chain out (and since when), and which
/// rest until when after a failure. A standby that takes over starts from the latest one, so that it
/// neither doubles a job that is out nor forgets a backoff.
///
/// It also keeps what `mailpool status` shows per mailbox, from the workers' reports: the last success
/// and failure, the failure's text, whether it needs attention, the messages fetched this hour. So the
/// state survives restarts, is readable from any machine that reaches the broker, and is one message
/// however many accounts there are.
///
/// Encoded as lines, to stay cheap at 10,000 mailboxes, after a first line `mailpool-poller-state 1`:
/// `o <mailbox> <chain id> <issued>`, `r <mailbox> <until>` and
/// `a <mailbox> <last success|-> <last failure|-> <needs attention 0|1> <hour start> <fetched> <error, base64|->`,
/// times in ms since 1970.
public struct PollerState: Equatable, Sendable {
    public struct Outstanding: Equatable, Sendable {
        public var chainID: String
        public var issuedAt: Date
    }

    /// What the workers last reported for a mailbox.
    public struct MailboxStatus: Equatable, Sendable {
        public var lastSuccess: Date?
        public var lastFailure: Date?
        public var lastError: String?
        public var needsAttention = false
        /// Messages fetched since `hourStart`, a window renewed every hour.
        public var fetchedThisHour = 0
        public var hourStart = Date(timeIntervalSince1970: 0)
    }

    /// By lower-cased mailbox.
    public internal(set) var outstanding: [String: Outstanding] = [:]
    /// By lower-cased mailbox.
    public internal(set) var restingUntil: [String: Date] = [:]
    /// By lower-cased mailbox.
    public internal(set) var mailboxes: [String: MailboxStatus] = [:]

    static let header = "mailpool-poller-state 1"

    /// Applies a worker's report: the chain it names is no longer out; a failure starts a rest.
    /// Returns false for a report of a chain the state does not have out (a duplicate, or one the
    /// lease already expired).
    @discardableResult
    mutating func apply(_ report: FetchReport, now: Date) -> Bool {
        var status = mailboxes[report.mailbox, default: MailboxStatus()]
        if now.timeIntervalSince(status.hourStart) >= 3600 { (status.hourStart, status.fetchedThisHour) = (now, 0) }
        status.fetchedThisHour += report.fetched
        if let error = report.error {
            (status.lastFailure, status.lastError, status.needsAttention) = (now, error, report.needsAttention)
        } else {
            (status.lastSuccess, status.needsAttention) = (now, false)
        }
        mailboxes[report.mailbox] = status
        guard outstanding[report.mailbox]?.chainID == report.chainID else { return false }
        outstanding[report.mailbox] = nil
        if report.restSeconds > 0 { restingUntil[report.mailbox] = now.addingTimeInterval(report.restSeconds) }
        return true
    }

    /// Forgets those of `chains` (mailbox → chain ID) that are still out, and returns their mailboxes:
    /// chains a previous leader left out, once the takeover grace is over (see ``PollerLeader``).
    mutating func forget(_ chains: [String: String]) -> [String] {
        let lost = chains.filter { outstanding[$0.key]?.chainID == $0.value }.map(\.key)
        for mailbox in lost { outstanding[mailbox] = nil }
        return lost
    }

    /// Forgets chains out longer than `lease` (their job was lost: dead-lettered, or its report was)
    /// and rests that are over. Returns the mailboxes whose chain expired.
    mutating func expire(lease: Double, now: Date) -> [String] {
        let expired = outstanding.filter { now.timeIntervalSince($0.value.issuedAt) > lease }.map(\.key)
        for mailbox in expired { outstanding[mailbox] = nil }
        restingUntil = restingUntil.filter { $0.value > now }
        return expired
    }

    /// The latest state in `mailpool.poller.state`, left in place; nil when none was written yet.
    /// Throws ``Unreadable`` for a state this version cannot read.
    public static func read(from connection: AMQPConnection) async throws -> PollerState? {
        guard try await connection.queueInfo(PipelineNames.pollerStateQueue).messageCount > 0 else { return nil }
        let consumer = try await connection.consume(queue: PipelineNames.pollerStateQueue, prefetch: 1)
        defer { consumer.cancel() }
        for try await delivery in consumer {
            delivery.nack(requeue: true)
            guard let state = PollerState(decoding: delivery.body) else { throw Unreadable() }
            return state
        }
        return nil
    }

    /// The state message is not one this version writes.
    public struct Unreadable: Error, CustomStringConvertible {
        public var description: String { "the poller state in \(PipelineNames.pollerStateQueue) is not in a format this version reads" }
    }

    func encoded() -> [UInt8] {
        var text = Self.header + "\n"
        text.reserveCapacity(64 * (outstanding.count + restingUntil.count + 1))
        for (mailbox, entry) in outstanding {
            text += "o \(mailbox) \(entry.chainID) \(Int64(entry.issuedAt.timeIntervalSince1970 * 1000))\n"
        }
        for (mailbox, until) in restingUntil {
            text += "r \(mailbox) \(Self.millis(until))\n"
        }
        for (mailbox, status) in mailboxes {
            let error = status.lastError.map { Data($0.utf8).base64EncodedString() } ?? "-"
            text += "a \(mailbox) \(Self.millis(status.lastSuccess)) \(Self.millis(status.lastFailure)) \(status.needsAttention ? 1 : 0) "
                + "\(Self.millis(status.hourStart)) \(status.fetchedThisHour) \(error)\n"
        }
        return Array(text.utf8)
    }

    private static func millis(_ date: Date?) -> String {
        date.map { String(Int64($0.timeIntervalSince1970 * 1000)) } ?? "-"
    }

    private static func date(_ field: Substring) -> Date? {
        Int64(field).map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }

    /// Nil when `bytes` are not a state this version writes.
    public init?(decoding bytes: [UInt8]) {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        guard lines.first == Substring(Self.header) else { return nil }
        for line in lines.dropFirst() {
            let fields = line.split(separator: " ")
            switch (fields.first, fields.count) {
            case ("o", 4):
                guard let millis = Int64(fields[3]) else { return nil }
                outstanding[String(fields[1])] = Outstanding(chainID: String(fields[2]),
                                                            issuedAt: Date(timeIntervalSince1970: Double(millis) / 1000))
            case ("r", 3):
                guard let until = Self.date(fields[2]) else { return nil }
                restingUntil[String(fields[1])] = until
            case ("a", 8):
                guard let hourStart = Self.date(fields[5]), let fetched = Int(fields[6]) else { return nil }
                mailboxes[String(fields[1])] = MailboxStatus(
                    lastSuccess: Self.date(fields[2]), lastFailure: Self.date(fields[3]),
                    lastError: fields[7] == "-" ? nil : Data(base64Encoded: String(fields[7])).map { String(decoding: $0, as: UTF8.self) },
                    needsAttention: fields[4] == "1", fetchedThisHour: fetched, hourStart: hourStart)
            default:
                return nil
            }
        }
    }

    init() {}
}
