import FoundationEssentials

/// What downstream systems receive for each inbound message (exchange `mailpool.inbound`, routing key
/// `inbound.<account-slug>`, AMQP `message_id` = ``dedupeKey``). Schema:
/// `deploy/schemas/inbound-mail.schema.json`. Delivery is at least once: the same message seen twice
/// carries the same ``dedupeKey``, and every copy after the first says so (``possibleRepeat``).
public struct InboundMailEvent: Codable, Sendable, Equatable {
    public struct Address: Codable, Sendable, Equatable {
        public var name: String?
        public var address: String

        public init(name: String?, address: String) {
            self.name = name
            self.address = address
        }
    }

    public struct Attachment: Codable, Sendable, Equatable {
        public var name: String
        public var contentType: String?
        public var size: Int

        public init(name: String, contentType: String?, size: Int) {
            self.name = name
            self.contentType = contentType
            self.size = size
        }
    }

    public var schemaVersion = 1
    /// Stable across re-fetches: `graph:<mailbox>:<immutable id>`, `imap:<mailbox>:<uidvalidity>:<uid>`,
    /// `pop3:<mailbox>:<uidl>`.
    public var dedupeKey: String
    public var account: String
    public var mailbox: String
    /// GRAPH, IMAP4 or POP3.
    public var `protocol`: String
    /// Graph's immutable message ID (GRAPH only).
    public var graphID: String?
    public var internetMessageID: String?
    public var from: Address?
    public var to: [Address]
    public var cc: [Address]
    public var subject: String
    public var receivedAt: Date?
    /// Size of the stored MIME in bytes.
    public var size: Int
    /// SHA-256 of the stored MIME, hex.
    public var sha256: String
    /// Where the MIME is, relative to the inbound store's root.
    public var storedAt: String
    public var attachments: [Attachment]
    public var fetchedAt: Date
    /// True when an earlier publish of this event was started and its confirm never came (its broker
    /// node stopped or froze, or the worker died): that copy may have reached consumers. Absent on
    /// an event published for the first time, which therefore repeats no other.
    public var possibleRepeat: Bool?

    enum CodingKeys: String, CodingKey {
        case schemaVersion, dedupeKey, account, mailbox, `protocol`, graphID = "graphId",
             internetMessageID = "internetMessageId", from, to, cc, subject, receivedAt, size, sha256, storedAt,
             attachments, fetchedAt, possibleRepeat
    }
}
