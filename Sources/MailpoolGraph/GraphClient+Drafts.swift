import FoundationEssentials
import MailpoolCore
import MailpoolCurl

/// Drafts, and messages found by their idempotency key: what a send that must happen once is built on
/// when its outcome may be unknown. A draft carries the key; sending it (`send`) changes nothing but
/// its state, so reading the draft back tells whether it went.
extension GraphClient {
    /// A message carrying an idempotency key.
    public struct KeyedMessage: Sendable, Equatable {
        public let id: String
        /// Still a draft: not sent, or sent so recently that Exchange has not filed it in Sent Items yet.
        public let isDraft: Bool
        /// When Graph created it, by Graph's clock.
        public let created: Date
        /// A draft its creator withdrew (``GraphClient/withdrawDraft(mailbox:id:)``): certainly never sent.
        public let isWithdrawn: Bool
    }

    /// The category a withdrawn draft carries.
    public static let withdrawnCategory = "mailpool: withdrawn, never sent"

    /// Every message of the mailbox, in any folder, that carries `key`; and Graph's clock when it
    /// answered (its `Date` header), to compare `created` with.
    public func messages(withIdempotencyKey key: String, mailbox: String) async throws(GraphError) -> (messages: [KeyedMessage], now: Date) {
        struct Found: Decodable {
            let id: String
            let isDraft: Bool?
            let createdDateTime: String?
            let categories: [String]?
        }
        let value = key.replacing("'", with: "''")
        let filter = "singleValueExtendedProperties/Any(ep: ep/id eq '\(Self.idempotencyPropertyID)' and ep/value eq '\(value)')"
        let path = "\(Self.user(mailbox))/messages?$filter=\(filter.percentEncoded)&$select=id,isDraft,createdDateTime,categories&$top=50"
        let response = try await perform(Call(path: path), mailbox: mailbox)
        guard let list = try? JSONDecoder().decode(ListResponse<Found>.self, from: Data(response.body)) else {
            throw .invalidResponse("the message list is not as documented")
        }
        let now = response.header("Date").flatMap(RFC5322Date.parse).map { Date(timeIntervalSince1970: $0) } ?? Date()
        return (list.value.map { found in
            KeyedMessage(id: found.id, isDraft: found.isDraft ?? false,
                         created: found.createdDateTime.flatMap { try? Date($0, strategy: .iso8601) } ?? now,
                         isWithdrawn: found.categories?.contains(Self.withdrawnCategory) ?? false)
        }, now)
    }

    /// Creates a draft of `mail` in Drafts and returns its immutable ID: attachments of up to 3 MB in all
    /// travel inside the request, larger ones are added afterwards (through upload sessions above 3 MB).
    /// Not idempotent: after ``GraphError/outcomeUnknown(operation:detail:)`` a draft may exist. With
    /// `onlyIf`, the creation is withheld (``GraphError/withheld(operation:)``) if it is false when the
    /// mailbox's request limit lets the request go.
    public func createDraft(from mailbox: String, _ mail: OutgoingMail, onlyIf: (@Sendable () -> Bool)? = nil) async throws(GraphError) -> String {
        struct Created: Decodable { let id: String }  // Graph answers the whole message; only its ID is needed
        let inline = mail.attachments.reduce(0) { $0 + $1.content.count } <= Self.inlineAttachmentLimit
        var body = JSONWriter(capacity: inline ? mail.estimatedJSONSize : mail.body.utf8.count + 1024)
        mail.writeMessage(attachments: inline ? mail.attachments : [], into: &body)
        let draft = try await perform(Call(method: "POST", path: "\(Self.user(mailbox))/messages", body: body.bytes,
                                           contentType: "application/json", idempotent: false, onlyIf: onlyIf),
                                      mailbox: mailbox, as: Created.self)
        guard !inline else { return draft.id }
        let messagePath = "\(Self.user(mailbox))/messages/\(draft.id.percentEncoded)"
        for attachment in mail.attachments {
            if attachment.content.count <= Self.inlineAttachmentLimit {
                var body = JSONWriter(capacity: attachment.content.count / 3 * 4 + 512)
                attachment.writeFileAttachment(into: &body)
                _ = try await perform(Call(method: "POST", path: "\(messagePath)/attachments", body: body.bytes, contentType: "application/json",
                                           idempotent: false), mailbox: mailbox)
            } else {
                try await upload(attachment, to: messagePath, mailbox: mailbox)
            }
        }
        return draft.id
    }

    /// Sends the draft `id`. Not idempotent; with `onlyIf`, the send is withheld
    /// (``GraphError/withheld(operation:)``) if it is false when the mailbox's request limit lets the
    /// request go — the last moment before it leaves.
    public func sendDraft(mailbox: String, id: String, onlyIf: (@Sendable () -> Bool)? = nil) async throws(GraphError) {
        _ = try await perform(Call(method: "POST", path: "\(Self.user(mailbox))/messages/\(id.percentEncoded)/send",
                                   body: [], idempotent: false, onlyIf: onlyIf), mailbox: mailbox)
    }

    /// Marks the draft `id` withdrawn (`PATCH` of its `categories`): its creator, certain that no send
    /// of it left, will never send it. Anyone who finds it by its key may delete it and send at once,
    /// instead of waiting until a send of it would have been filed. Idempotent.
    public func withdrawDraft(mailbox: String, id: String) async throws(GraphError) {
        var body = JSONWriter(capacity: 64)
        body.object { json in
            json.key("categories")
            json.array([Self.withdrawnCategory]) { json, category in json.string(category) }
        }
        _ = try await perform(Call(method: "PATCH", path: "\(Self.user(mailbox))/messages/\(id.percentEncoded)", body: body.bytes,
                                   contentType: "application/json"), mailbox: mailbox)
    }

    /// Deletes a message; one that is gone already counts as deleted.
    public func deleteMessage(mailbox: String, id: String) async throws(GraphError) {
        do {
            _ = try await perform(Call(method: "DELETE", path: "\(Self.user(mailbox))/messages/\(id.percentEncoded)"), mailbox: mailbox)
        } catch .service(404, _, _) {
            return
        }
    }
}
