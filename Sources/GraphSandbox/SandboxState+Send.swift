import Foundation
import NIOCore

/// Sending: sendMail, drafts with attachments and upload sessions, and sending a draft.
extension SandboxState {
    /// sendMail: validates recipients, records the message, delivers it to recipients that are sandbox
    /// mailboxes, and files it in Sent Items (after `sentItemsDelaySeconds`).
    func sendMail(mailbox key: String, _ json: SendMailJSON) throws(GraphFailure) {
        let message = try draft(from: json.message, in: key)
        try send(message, in: key, headers: json.message.internetMessageHeaders ?? [])
        if json.saveToSentItems ?? true { fileWhenDue(message, in: key, draft: false) }
    }

    /// Creates a draft in Drafts.
    func createDraft(mailbox key: String, _ json: OutgoingMessageJSON) throws(GraphFailure) -> StoredMessage {
        var message = try draft(from: json, in: key)
        message.changeSequence = mailboxes[key]!.nextSequence()
        mailboxes[key]!.store(message)
        draftHeaders[message.immutableID] = json.internetMessageHeaders ?? []
        return message
    }

    func addAttachment(mailbox key: String, messageID: String, _ attachment: StoredAttachment) throws(GraphFailure) {
        var message = try message(mailbox: key, id: messageID)
        guard message.isDraft else { throw .badRequest("Attachments can only be added to drafts.") }
        message.attachments.append(attachment)
        mailboxes[key]!.store(message)
    }

    /// Sends a draft (POST /messages/{id}/send). The draft stays a draft in Drafts until it is filed in
    /// Sent Items; sending it again before that sends it again (nothing in Graph's documentation says a
    /// second send is refused, so the sandbox assumes the worst).
    func sendDraft(mailbox key: String, id: String) throws(GraphFailure) {
        let message = try message(mailbox: key, id: id)
        guard message.isDraft else { throw .badRequest("The message has already been sent.") }
        try send(message, in: key, headers: draftHeaders[message.immutableID] ?? [])
        fileWhenDue(message, in: key, draft: true)
    }

    /// Files a sent message in Sent Items now, or after `sentItemsDelaySeconds` as Exchange does.
    private func fileWhenDue(_ message: StoredMessage, in key: String, draft: Bool) {
        let delay = faults.sentItemsDelaySeconds
        guard delay > 0 else { return file(message, in: key, draft: draft) }
        Task {
            try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            self.file(message, in: key, draft: draft)
        }
    }

    /// The sent message appears in Sent Items under the same immutable ID; a sent draft leaves Drafts.
    private func file(_ sent: StoredMessage, in key: String, draft: Bool) {
        let stored = mailboxes[key]!.messages[sent.immutableID]
        // A draft deleted meanwhile, or filed already by an earlier send of it, stays as it is.
        if draft, stored?.isDraft != true { return }
        var message = stored ?? sent
        draftHeaders[sent.immutableID] = nil
        mailboxes[key]!.restIndex[message.restID] = nil
        message.isDraft = false
        message.mime = ByteBuffer()  // built when first read (`$value`), like a draft's
        message.folder = "sentitems"
        message.restID = SandboxID.make()
        message.changeSequence = mailboxes[key]!.nextSequence()
        mailboxes[key]!.store(message)
    }

    /// Deletes a message (a draft, say).
    func delete(mailbox key: String, id: String) throws(GraphFailure) {
        let message = try message(mailbox: key, id: id)
        let sequence = mailboxes[key]!.nextSequence()
        mailboxes[key]!.removals.append((message.immutableID, message.restID, message.folder, sequence))
        mailboxes[key]!.messages[message.immutableID] = nil
        mailboxes[key]!.restIndex[message.restID] = nil
        draftHeaders[message.immutableID] = nil
    }

    func createUploadSession(mailbox key: String, messageID: String, name: String, contentType: String,
                             isInline: Bool, size: Int) throws(GraphFailure) -> (id: String, expires: Double) {
        guard try message(mailbox: key, id: messageID).isDraft else { throw .badRequest("Not a draft.") }
        guard size > 0, size <= 150 * 1024 * 1024 else { throw .badRequest("Attachment size must be 1 byte to 150 MB.") }
        let id = SandboxID.guid()
        let expires = Date().timeIntervalSince1970 + 6 * 3600
        uploadSessions[id] = UploadSession(mailbox: key, messageID: messageID, name: name, contentType: contentType,
                                           isInline: isInline, size: size, expires: expires)
        return (id, expires)
    }

    /// Takes one chunk (`Content-Range: bytes start-end/size`). Returns the next expected offset, or nil
    /// when the attachment is complete and has been added to the draft.
    func upload(session id: String, start: Int, end: Int, total: Int, bytes: [UInt8]) throws(GraphFailure) -> Int? {
        guard var session = uploadSessions[id], session.expires > Date().timeIntervalSince1970 else { throw .itemNotFound }
        guard total == session.size, start == session.received.count, end - start + 1 == bytes.count, end < total else {
            throw GraphFailure(status: 416, code: "InvalidRange",
                               message: "The uploaded fragment overlaps with data that has already been received.")
        }
        session.received += bytes
        guard session.received.count == session.size else {
            uploadSessions[id] = session
            return session.received.count
        }
        uploadSessions[id] = nil
        try addAttachment(mailbox: session.mailbox, messageID: session.messageID, StoredAttachment(
            id: SandboxID.make("AAMkAtt"), name: session.name, contentType: session.contentType,
            isInline: session.isInline, content: session.received))
        return nil
    }

    func sent(mailbox key: String) -> [SentRecord] { mailboxes[key]?.sent ?? [] }

    // MARK: Helpers

    private func draft(from json: OutgoingMessageJSON, in key: String) throws(GraphFailure) -> StoredMessage {
        func addresses(_ recipients: [OutgoingMessageJSON.Recipient]?) throws(GraphFailure) -> [EmailAddress] {
            var result: [EmailAddress] = []
            for recipient in recipients ?? [] {
                guard Self.isValidAddress(recipient.emailAddress.address) else {
                    throw GraphFailure(status: 400, code: "ErrorInvalidRecipients",
                                       message: "At least one recipient isn't valid., Recipient '\(recipient.emailAddress.address)' isn't resolved. All recipients must be resolved before a message can be submitted.")
                }
                result.append(recipient.emailAddress)
            }
            return result
        }
        var attachments: [StoredAttachment] = []
        for attachment in json.attachments ?? [] {
            guard let base64 = attachment.contentBytes, let data = Data(base64Encoded: base64) else {
                throw .badRequest("Attachment '\(attachment.name)' has no valid contentBytes.")
            }
            attachments.append(StoredAttachment(id: SandboxID.make("AAMkAtt"), name: attachment.name,
                                                contentType: attachment.contentType ?? "application/octet-stream",
                                                isInline: attachment.isInline ?? false, content: Array(data)))
        }
        let owner = mailbox(key)
        var message = StoredMessage(
            immutableID: SandboxID.make(), restID: SandboxID.make(), folder: "drafts", isRead: true, isDraft: true,
            subject: json.subject ?? "", from: EmailAddress(owner.address), toRecipients: try addresses(json.toRecipients),
            ccRecipients: try addresses(json.ccRecipients), bccRecipients: try addresses(json.bccRecipients),
            replyTo: try addresses(json.replyTo), importance: json.importance ?? "normal",
            body: (json.body?.contentType ?? "text", json.body?.content ?? ""), receivedDateTime: Date(),
            internetMessageID: "<\(SandboxID.guid())@sandbox.mailpool>", attachments: attachments,
            changeSequence: 0, mime: ByteBuffer())
        for property in json.singleValueExtendedProperties ?? [] { message.extendedProperties[property.id] = property.value }
        return message
    }

    /// Accepts a message: records it as sent and delivers it to recipients that are sandbox mailboxes.
    private func send(_ message: StoredMessage, in key: String, headers: [OutgoingMessageJSON.Header]) throws(GraphFailure) {
        let recipients = message.toRecipients + message.ccRecipients + message.bccRecipients
        guard !recipients.isEmpty else {
            throw GraphFailure(status: 400, code: "ErrorInvalidRecipients",
                               message: "At least one recipient isn't valid., A message can't be sent because it contains no recipients.")
        }
        counters.messagesSent += 1
        mailboxes[key]!.sent.append(SentRecord(
            id: message.immutableID, subject: message.subject, from: mailbox(key).address,
            toRecipients: message.toRecipients.map(\.address), ccRecipients: message.ccRecipients.map(\.address),
            bccRecipients: message.bccRecipients.map(\.address), replyTo: message.replyTo.map(\.address),
            bodyContentType: message.body.contentType, body: message.body.content,
            attachments: message.attachments.map {
                .init(name: $0.name, contentType: $0.contentType, size: $0.content.count, sha256: $0.content.sha256Hex)
            },
            internetMessageHeaders: Dictionary(headers.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }),
            sentDateTime: Date().formatted(.iso8601), acceptedAt: Date().timeIntervalSince1970))
        for recipient in Set(recipients.map { $0.address.lowercased() }) where mailboxes[recipient] != nil {
            var copy = message.withNewIDs()
            copy.isDraft = false
            copy.mime = ByteBuffer()
            copy.folder = "inbox"
            copy.isRead = false
            copy.bccRecipients = []
            copy.receivedDateTime = Date()
            copy.changeSequence = mailboxes[recipient]!.nextSequence()
            mailboxes[recipient]!.store(copy)
        }
    }

    /// A plausible SMTP address: one @, a non-empty local part, a dotted domain, no spaces.
    static func isValidAddress(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasPrefix(".")
            && !parts[1].hasSuffix(".") && !address.contains(where: { $0.isWhitespace })
    }
}
