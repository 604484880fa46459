import FoundationEssentials
import MailpoolAMQP

/// A dead-lettered notification as operators see it.
public struct DeadLetterEntry: Sendable {
    public let id: String
    /// Why it was dead-lettered: a reason code, then `: ` and details when there are any
    /// (`retries-exhausted: after 5 attempts`, `invalid: no recipient`).
    public let reason: String
    /// The sending account, when the notification named one or a worker resolved it.
    public let account: String?
    public let attempts: Int
    public let firstError: String?
    public let lastError: String?
    /// When it was dead-lettered: set by the worker, or the broker's `x-death` time.
    public let deadAt: Date?
    public let errors: [String]
    public let body: [UInt8]

    /// The reason's code, the part before any `:` (`permanent`, `outcome-unknown`, `retries-exhausted`,
    /// `configuration`, `delivery-limit`, `oversized`, `invalid` ...): what `--reason` filters on.
    public var reasonCode: String {
        reason.firstIndex(of: ":").map { String(reason[..<$0]) } ?? reason
    }

    init(_ delivery: AMQPDelivery) {
        let headers = delivery.properties.headers
        let death = headers["x-death"]?.arrayValue?.first?.tableValue
        let headerAccount = headers[NotificationNames.Header.account]?.stringValue
        // The body is read only for what the properties do not say.
        let request = delivery.properties.messageID == nil || headerAccount == nil
            ? try? JSONDecoder().decode(NotificationRequest.self, from: Data(delivery.body)) : nil
        id = delivery.properties.messageID ?? request?.id ?? "-"
        reason = headers[NotificationNames.Header.deadReason]?.stringValue ?? Self.brokerReason(headers)
        account = headerAccount ?? request?.account
        attempts = Int(headers[NotificationNames.Header.attempts]?.intValue ?? 0)
        firstError = headers[NotificationNames.Header.firstError]?.stringValue
        lastError = headers[NotificationNames.Header.lastError]?.stringValue
        deadAt = headers[NotificationNames.Header.deadAt]?.stringValue.flatMap { try? Date($0, strategy: .iso8601) }
            ?? death?["time"]?.intValue.map { Date(timeIntervalSince1970: TimeInterval($0)) }
        errors = headers[NotificationNames.Header.errors]?.arrayValue?.compactMap(\.stringValue) ?? []
        body = delivery.body
    }

    /// The reason of a message the broker dead-lettered (its `x-first-death-reason`).
    private static func brokerReason(_ headers: AMQPTable) -> String {
        switch headers["x-first-death-reason"]?.stringValue {
        case "delivery_limit": "delivery-limit: delivered up to the work queue's delivery limit and never settled (a worker died or lost its connection each time)"
        case "rejected": "oversized: refused unread, the body is over the worker's size limit"
        case let other?: other
        case nil: "-"
        }
    }
}

/// Which dead letters a listing or a replay takes; every field set must match.
public struct DeadLetterFilter: Sendable {
    public var id: String?
    /// A reason code (``DeadLetterEntry/reasonCode``).
    public var reason: String?
    public var account: String?
    /// Dead-lettered at or after this time.
    public var since: Date?

    public init(id: String? = nil, reason: String? = nil, account: String? = nil, since: Date? = nil) {
        self.id = id
        self.reason = reason
        self.account = account
        self.since = since
    }

    /// True when it takes every dead letter.
    public var isEmpty: Bool { id == nil && reason == nil && account == nil && since == nil }

    public func matches(_ entry: DeadLetterEntry) -> Bool {
        if let id, entry.id != id { return false }
        if let reason, entry.reasonCode != reason { return false }
        if let account, entry.account?.lowercased() != account.lowercased() { return false }
        if let since, (entry.deadAt ?? .distantPast) < since { return false }
        return true
    }
}
