import FoundationEssentials

/// Published when a message that kept failing is set aside (exchange `mailpool.inbound`, routing key
/// `quarantined.<account-slug>`, AMQP type `InboundQuarantined`, `message_id` = ``dedupeKey``), so
/// that someone looks at it. The rest of the mailbox flows on. Schema:
/// `deploy/schemas/inbound-quarantined.schema.json`.
public struct InboundQuarantinedEvent: Codable, Sendable, Equatable {
    public var schemaVersion = 1
    public var dedupeKey: String
    public var account: String
    public var mailbox: String
    /// GRAPH, IMAP4 or POP3.
    public var `protocol`: String
    /// Graph's immutable message ID (GRAPH only).
    public var graphID: String?
    /// The message's UID (IMAP4) or UIDL (POP3).
    public var serverID: String?
    /// Where the message is now: the folder it was moved to, or `left on the server` (POP3).
    public var location: String
    /// The last failure.
    public var reason: String
    public var attempts: Int
    public var quarantinedAt: Date

    enum CodingKeys: String, CodingKey {
        case schemaVersion, dedupeKey, account, mailbox, `protocol`, graphID = "graphId", serverID = "serverId", location, reason,
             attempts, quarantinedAt
    }
}
