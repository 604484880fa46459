/// One mailbox: its messages by immutable ID, and what delta queries and sent-mail checks need.
struct MailboxRecord: Sendable {
    let address: String
    let tenantID: String
    let aliases: Set<String>
    let restEnabled: Bool
    var messages: [String: StoredMessage] = [:]
    /// REST ID → immutable ID.
    var restIndex: [String: String] = [:]
    /// Last change sequence number handed out.
    var sequence = 0
    /// Messages that left a folder (moved or deleted), for delta's `@removed` entries.
    var removals: [(id: String, restID: String, folder: String, sequence: Int)] = []
    /// Messages accepted by sendMail or send, in order.
    var sent: [SentRecord] = []
    /// Folders made through the API: ID → display name.
    var folders: [String: String] = [:]

    mutating func nextSequence() -> Int {
        sequence += 1
        return sequence
    }

    /// Finds a message by immutable or REST ID.
    func message(_ id: String) -> StoredMessage? {
        messages[id] ?? restIndex[id].flatMap { messages[$0] }
    }

    mutating func store(_ message: StoredMessage) {
        messages[message.immutableID] = message
        restIndex[message.restID] = message.immutableID
    }
}

/// What the sandbox records for each message sent.
public struct SentRecord: Codable, Sendable {
    public let id: String
    public let subject: String
    public let from: String
    public let toRecipients: [String]
    public let ccRecipients: [String]
    public let bccRecipients: [String]
    public let replyTo: [String]
    public let bodyContentType: String
    public let body: String
    public let attachments: [SentAttachment]
    public let internetMessageHeaders: [String: String]
    public let sentDateTime: String
    /// When the sandbox accepted the message, seconds since 1970 with sub-millisecond precision.
    public let acceptedAt: Double

    public struct SentAttachment: Codable, Sendable {
        public let name: String
        public let contentType: String
        public let size: Int
        public let sha256: String
    }
}

/// Requests in flight and recent request and send times of one app on one mailbox.
struct MailboxUsage: Sendable {
    var inFlight = 0
    var requestTimes: [Double] = []
    var sendTimes: [Double] = []
}

/// A large-attachment upload session on a draft.
struct UploadSession: Sendable {
    let mailbox: String
    let messageID: String
    let name: String
    let contentType: String
    let isInline: Bool
    let size: Int
    var received: [UInt8] = []
    let expires: Double
}
