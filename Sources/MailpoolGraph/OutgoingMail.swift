/// An email to send through Graph.
public struct OutgoingMail: Sendable {
    public enum BodyType: String, Sendable { case text, html }
    public enum Importance: String, Sendable { case low, normal, high }

    public var subject: String
    public var body: String
    public var bodyType: BodyType
    public var to: [MailAddress]
    public var cc: [MailAddress]
    public var bcc: [MailAddress]
    public var replyTo: [MailAddress]
    public var importance: Importance
    public var attachments: [MailAttachment]
    /// Custom headers (`internetMessageHeaders`); Graph requires their names to start with `x-`.
    public var headers: [(name: String, value: String)]
    /// Stored on the sent message as a named extended property, so that ``GraphClient/messages(withIdempotencyKey:mailbox:)``
    /// can find it.
    public var idempotencyKey: String?

    public init(subject: String, body: String, bodyType: BodyType = .text, to: [MailAddress], cc: [MailAddress] = [],
                bcc: [MailAddress] = [], replyTo: [MailAddress] = [], importance: Importance = .normal,
                attachments: [MailAttachment] = [], headers: [(name: String, value: String)] = [], idempotencyKey: String? = nil) {
        self.subject = subject
        self.body = body
        self.bodyType = bodyType
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.replyTo = replyTo
        self.importance = importance
        self.attachments = attachments
        self.headers = headers
        self.idempotencyKey = idempotencyKey
    }
}

public struct MailAddress: Sendable, Equatable {
    public var address: String
    public var name: String?

    public init(_ address: String, name: String? = nil) {
        self.address = address
        self.name = name
    }
}

public struct MailAttachment: Sendable {
    public var name: String
    public var contentType: String
    public var content: [UInt8]
    public var isInline: Bool

    public init(name: String, contentType: String, content: [UInt8], isInline: Bool = false) {
        self.name = name
        self.contentType = contentType
        self.content = content
        self.isInline = isInline
    }
}
