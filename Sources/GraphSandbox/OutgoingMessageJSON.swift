/// The `message` object clients post to sendMail and create drafts with (the fields the sandbox reads).
struct OutgoingMessageJSON: Decodable, Sendable {
    struct Recipient: Decodable, Sendable {
        let emailAddress: EmailAddress
    }

    struct Body: Decodable, Sendable {
        let contentType: String?
        let content: String?
    }

    struct Attachment: Decodable, Sendable {
        let odataType: String?
        let name: String
        let contentType: String?
        let contentBytes: String?
        let isInline: Bool?

        enum CodingKeys: String, CodingKey {
            case odataType = "@odata.type"
            case name, contentType, contentBytes, isInline
        }
    }

    struct Header: Decodable, Sendable {
        let name: String
        let value: String
    }

    let subject: String?
    let body: Body?
    let toRecipients: [Recipient]?
    let ccRecipients: [Recipient]?
    let bccRecipients: [Recipient]?
    let replyTo: [Recipient]?
    let importance: String?
    let attachments: [Attachment]?
    let internetMessageHeaders: [Header]?
    let singleValueExtendedProperties: [Header.ExtendedProperty]?
}

extension OutgoingMessageJSON.Header {
    struct ExtendedProperty: Decodable, Sendable {
        let id: String
        let value: String
    }
}

/// The sendMail request body.
struct SendMailJSON: Decodable, Sendable {
    let message: OutgoingMessageJSON
    let saveToSentItems: Bool?
}
