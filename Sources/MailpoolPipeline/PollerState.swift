import Foundation

/// The leading poller's view of the pool, kept in memory and written to `mailpool.poller.state` before
/// any job it describes is published: which mailboxes have a job chain out (and since when), and which
/// rest until when after a failure. A standby that takes over starts from the latest one, so that it
/// neither doubles a job that is out nor forgets a backoff.
///
/// Encoded as lines, to stay cheap at 10,000 mailboxes: `o <mailbox> <chain id> <issued, ms since 1970>`
/// and `r <mailbox> <until, ms since 1970>`, after a first line `mailpool-poller-state 1`.
struct PollerState: Equatable, Sendable {
    struct Outstanding: Equatable, Sendable {
        var chainID: String
        var issuedAt: Date
    }

    /// By lower-cased mailbox.
    var outstanding: [String: Outstanding] = [:]
    /// By lower-cased mailbox.
    var restingUntil: [String: Date] = [:]

    static let header = "mailpool-poller-state 1"

    /// Applies a worker's report: the chain it names is no longer out; a failure starts a rest.
    /// Returns false for a report of a chain the state does not have out (a duplicate, or one the
    /// lease already expired).
    @discardableResult
    mutating func apply(_ report: FetchReport, now: Date) -> Bool {
        guard outstanding[report.mailbox]?.chainID == report.chainID else { return false }
        outstanding[report.mailbox] = nil
        if report.restSeconds > 0 { restingUntil[report.mailbox] = now.addingTimeInterval(report.restSeconds) }
        return true
    }

    /// Forgets chains out longer than `lease` (their job was lost: dead-lettered, or its report was)
    /// and rests that are over. Returns the mailboxes whose chain expired.
    mutating func expire(lease: Double, now: Date) -> [String] {
        let expired = outstanding.filter { now.timeIntervalSince($0.value.issuedAt) > lease }.map(\.key)
        for mailbox in expired { outstanding[mailbox] = nil }
        restingUntil = restingUntil.filter { $0.value > now }
        return expired
    }

    func encoded() -> [UInt8] {
        var text = Self.header + "\n"
        text.reserveCapacity(64 * (outstanding.count + restingUntil.count + 1))
        for (mailbox, entry) in outstanding {
            text += "o \(mailbox) \(entry.chainID) \(Int64(entry.issuedAt.timeIntervalSince1970 * 1000))\n"
        }
        for (mailbox, until) in restingUntil {
            text += "r \(mailbox) \(Int64(until.timeIntervalSince1970 * 1000))\n"
        }
        return Array(text.utf8)
    }

    /// Nil when `bytes` are not a state this version writes.
    init?(decoding bytes: [UInt8]) {
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
                guard let millis = Int64(fields[2]) else { return nil }
                restingUntil[String(fields[1])] = Date(timeIntervalSince1970: Double(millis) / 1000)
            default:
                return nil
            }
        }
    }

    init() {}
}
