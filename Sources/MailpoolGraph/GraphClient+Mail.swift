import FoundationEssentials
import MailpoolCore
import MailpoolCurl

/// Reading a mailbox and settling its messages.
extension GraphClient {
    /// The first page of unread Inbox messages (`$filter=isRead eq false`, `$top` = `pageSize`).
    public func unreadInboxMessages(mailbox: String, pageSize: Int = 50) async throws(GraphError) -> MessagePage {
        let query = "$filter=isRead%20eq%20false&$select=\(GraphMessage.selectedProperties.joined(separator: ","))&$top=\(pageSize)"
        return try await messagePage("\(Self.user(mailbox))/mailFolders/inbox/messages?\(query)", mailbox: mailbox)
    }

    /// The page at an `@odata.nextLink`.
    public func messagePage(_ link: String, mailbox: String) async throws(GraphError) -> MessagePage {
        let list = try await perform(Call(path: link), mailbox: mailbox, as: ListResponse<GraphMessage>.self)
        return MessagePage(messages: list.value, nextLink: list.nextLink)
    }

    /// A delta query on a folder: from the start when `link` is nil, else from a stored next or delta link.
    public func delta(mailbox: String, folder: String = "inbox", link: String? = nil, pageSize: Int = 50) async throws(GraphError) -> DeltaPage {
        let path = link ?? "\(Self.user(mailbox))/mailFolders/\(folder)/messages/delta?$select=\(GraphMessage.selectedProperties.joined(separator: ","))"
        let list = try await perform(Call(path: path, headers: [("Prefer", "odata.maxpagesize=\(pageSize)")]),
                                     mailbox: mailbox, as: ListResponse<DeltaEntry>.self)
        return DeltaPage(messages: list.value.filter { $0.removed == nil }.map(\.message),
                         removedIDs: list.value.filter { $0.removed != nil }.map(\.message.id),
                         nextLink: list.nextLink, deltaLink: list.deltaLink)
    }

    /// Total and unread messages in the Inbox (reads nothing else, changes nothing).
    public func inboxCounts(mailbox: String) async throws(GraphError) -> (total: Int, unread: Int) {
        struct Folder: Decodable {
            let totalItemCount: Int
            let unreadItemCount: Int
        }
        let folder = try await perform(Call(path: "\(Self.user(mailbox))/mailFolders/inbox?$select=totalItemCount,unreadItemCount"),
                                       mailbox: mailbox, as: Folder.self)
        return (folder.totalItemCount, folder.unreadItemCount)
    }

    /// Streams the message's MIME (`/$value`) into `path`; returns its size in bytes.
    public func downloadMIME(mailbox: String, messageID: String, to path: String) async throws(GraphError) -> Int {
        try await perform(Call(path: "\(Self.user(mailbox))/messages/\(messageID.percentEncoded)/$value",
                               sink: .file(path: path)), mailbox: mailbox).bodyLength
    }

    /// The message's attachments, without their content.
    public func attachments(mailbox: String, messageID: String) async throws(GraphError) -> [AttachmentInfo] {
        let path = "\(Self.user(mailbox))/messages/\(messageID.percentEncoded)/attachments?$select=id,name,contentType,size,isInline"
        return try await perform(Call(path: path), mailbox: mailbox, as: ListResponse<AttachmentInfo>.self).value
    }

    /// Streams one attachment's content (`/$value`) into `path`; returns its size in bytes.
    public func downloadAttachment(mailbox: String, messageID: String, attachmentID: String, to path: String) async throws(GraphError) -> Int {
        let call = Call(path: "\(Self.user(mailbox))/messages/\(messageID.percentEncoded)/attachments/\(attachmentID.percentEncoded)/$value",
                        sink: .file(path: path))
        return try await perform(call, mailbox: mailbox).bodyLength
    }

    /// Marks the message read (`PATCH {"isRead": true}`).
    public func markRead(mailbox: String, messageID: String) async throws(GraphError) {
        _ = try await perform(Call(method: "PATCH", path: "\(Self.user(mailbox))/messages/\(messageID.percentEncoded)",
                                   body: Array(#"{"isRead":true}"#.utf8), contentType: "application/json"), mailbox: mailbox)
    }

    /// Moves the message to Deleted Items (`destinationId: deleteditems`); returns the moved message.
    @discardableResult
    public func moveToDeletedItems(mailbox: String, messageID: String) async throws(GraphError) -> GraphMessage {
        try await move(mailbox: mailbox, messageID: messageID, to: "deleteditems")
    }

    /// Moves the message to a folder (its ID or well-known name); returns the moved message.
    /// Not repeated after a dropped connection: the move may have happened, and a second would fail.
    @discardableResult
    public func move(mailbox: String, messageID: String, to folder: String) async throws(GraphError) -> GraphMessage {
        return try await perform(Call(method: "POST", path: "\(Self.user(mailbox))/messages/\(messageID.percentEncoded)/move",
                                      body: try encode(["destinationId": folder]), contentType: "application/json", idempotent: false),
                                 mailbox: mailbox, as: GraphMessage.self)
    }

    /// The ID of the top-level mail folder with this display name, created if there is none.
    /// Creating is safe to repeat: a second attempt finds the folder the first one made.
    public func mailFolder(named name: String, mailbox: String) async throws(GraphError) -> String {
        if let id = try await existingMailFolder(named: name, mailbox: mailbox) { return id }
        let body = try encode(["displayName": name])
        do {
            return try await perform(Call(method: "POST", path: "\(Self.user(mailbox))/mailFolders", body: body,
                                          contentType: "application/json"), mailbox: mailbox, as: MailFolder.self).id
        } catch .service(409, let code, let message) {
            // ErrorFolderExists: made meanwhile (by an earlier attempt whose answer was lost).
            guard let id = try await existingMailFolder(named: name, mailbox: mailbox) else { throw .service(status: 409, code: code, message: message) }
            return id
        }
    }

    private func existingMailFolder(named name: String, mailbox: String) async throws(GraphError) -> String? {
        let filter = "displayName eq '\(name.replacing("'", with: "''"))'".percentEncoded
        return try await perform(Call(path: "\(Self.user(mailbox))/mailFolders?$filter=\(filter)&$select=id,displayName"),
                                 mailbox: mailbox, as: ListResponse<MailFolder>.self).value.first?.id
    }

    private struct MailFolder: Decodable {
        let id: String
    }
}
