/// The public contract: what other systems put on the `mailpool.notifications` queue
/// (`deploy/schemas/notification.schema.json`). `id` is the idempotency key and also the AMQP `message_id`.
public struct NotificationRequest: Codable, Sendable, Equatable {
    public struct Address: Codable, Sendable, Equatable {
        public var address: String
        public var name: String?

        public init(address: String, name: String? = nil) {
            self.address = address
            self.name = name
        }
    }

    public struct Attachment: Codable, Sendable, Equatable {
        public var name: String
        public var contentType: String
        public var contentBase64: String

        public init(name: String, contentType: String, contentBase64: String) {
            self.name = name
            self.contentType = contentType
            self.contentBase64 = contentBase64
        }
    }

    public var id: String
    /// The sending account's name; the account marked "use for notification" when absent.
    public var account: String?
    public var to: [Address]
    public var cc: [Address]?
    public var bcc: [Address]?
    public var replyTo: [Address]?
    public var subject: String
    public var text: String?
    public var html: String?
    public var attachments: [Attachment]?
    /// `low`, `normal` (default) or `high`.
    public var importance: String?
    /// Free-form fields echoed into logs (a ticket number, a supplier ID ...).
    public var correlation: [String: String]?

    public init(id: String, account: String? = nil, to: [Address], cc: [Address]? = nil, bcc: [Address]? = nil,
                replyTo: [Address]? = nil, subject: String, text: String? = nil, html: String? = nil,
                attachments: [Attachment]? = nil, importance: String? = nil, correlation: [String: String]? = nil) {
        self.id = id
        self.account = account
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.attachments = attachments
        self.importance = importance
        self.correlation = correlation
    }
}
