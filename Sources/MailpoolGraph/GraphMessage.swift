/// The message properties mailpool reads from Graph (`$select`ed; absent ones are nil).
public struct GraphMessage: Decodable, Sendable, Equatable {
    /// Immutable ID (every request asks for immutable IDs).
    public let id: String
    public let internetMessageId: String?
    public let subject: String?
    public let from: GraphRecipient?
    public let toRecipients: [GraphRecipient]?
    public let ccRecipients: [GraphRecipient]?
    /// ISO 8601, UTC.
    public let receivedDateTime: String?
    public let hasAttachments: Bool?
    public let isRead: Bool?
    public let parentFolderId: String?

    /// The properties list and the fetch workers ask for.
    public static let selectedProperties = [
        "id", "internetMessageId", "subject", "from", "toRecipients", "ccRecipients", "receivedDateTime",
        "hasAttachments", "isRead", "parentFolderId",
    ]
}

/// Graph's `recipient`: `{"emailAddress":{"name":…,"address":…}}`.
public struct GraphRecipient: Codable, Sendable, Equatable {
    public struct Address: Codable, Sendable, Equatable {
        public let name: String?
        public let address: String?
    }

    public let emailAddress: Address
}

/// One page of a message list; follow ``nextLink`` (opaque) for the next.
public struct MessagePage: Sendable {
    public let messages: [GraphMessage]
    public let nextLink: String?
}

/// One page of a delta query: changed messages, IDs that left the folder, and either the link to the
/// next page or, on the last page, the delta link to store for the next round.
public struct DeltaPage: Sendable {
    public let messages: [GraphMessage]
    public let removedIDs: [String]
    public let nextLink: String?
    public let deltaLink: String?
}

/// An attachment's metadata (its content is fetched separately, streamed to a file).
public struct AttachmentInfo: Decodable, Sendable, Equatable {
    public let id: String
    public let name: String
    public let contentType: String?
    public let size: Int
    public let isInline: Bool?
}

/// A list response: `{"value":[…], "@odata.nextLink":…, "@odata.deltaLink":…}`.
struct ListResponse<Item: Decodable>: Decodable {
    let value: [Item]
    let nextLink: String?
    let deltaLink: String?

    enum CodingKeys: String, CodingKey {
        case value
        case nextLink = "@odata.nextLink"
        case deltaLink = "@odata.deltaLink"
    }
}

/// A delta entry: a message, or `{"id":…, "@removed":{…}}`.
struct DeltaEntry: Decodable {
    let removed: Removed?
    let message: GraphMessage

    struct Removed: Decodable {
        let reason: String?
    }

    enum CodingKeys: String, CodingKey {
        case removed = "@removed"
    }

    init(from decoder: any Decoder) throws {
        removed = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Removed.self, forKey: .removed)
        message = try GraphMessage(from: decoder)
    }
}
