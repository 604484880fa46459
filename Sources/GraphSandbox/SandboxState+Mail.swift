import Crypto
import Foundation
import MailpoolCore
import NIOCore

/// Reading and changing mail: listing, delta, single messages, attachments, mark read, move, seeding.
extension SandboxState {
    func mailbox(_ key: String) -> MailboxRecord { mailboxes[key]! }

    /// Messages in `folder`, newest first, optionally unread only.
    func list(mailbox key: String, folder rawFolder: String, unreadOnly: Bool) throws(GraphFailure) -> [StoredMessage] {
        guard let folder = folder(mailbox: key, rawFolder) else { throw .itemNotFound }
        return mailbox(key).messages.values
            .filter { $0.folder == folder && (!unreadOnly || !$0.isRead) }
            .sorted { ($0.receivedDateTime, $0.immutableID) > ($1.receivedDateTime, $1.immutableID) }
    }

    /// One delta round: messages in `folder` changed after `watermark` (all of them for the initial
    /// round), and, after an earlier round, those that left the folder. Returns the new watermark.
    /// `cap` limits the round to changes up to the watermark taken when the round began, so that the
    /// pages of one round agree with each other.
    func delta(mailbox key: String, folder rawFolder: String, after watermark: Int?, upTo cap: Int?) throws(GraphFailure)
        -> (changed: [StoredMessage], removed: [(id: String, restID: String)], watermark: Int) {
        guard let folder = folder(mailbox: key, rawFolder) else { throw .itemNotFound }
        let record = mailbox(key)
        let since = watermark ?? 0
        let upper = cap ?? record.sequence
        let changed = record.messages.values
            .filter { $0.folder == folder && $0.changeSequence > since && $0.changeSequence <= upper && !$0.isDraft }
            .sorted { $0.changeSequence < $1.changeSequence }
        let removed = watermark == nil ? [] : record.removals
            .filter { $0.folder == folder && $0.sequence > since && $0.sequence <= upper }
            .map { (id: $0.id, restID: $0.restID) }
        return (changed, removed, upper)
    }

    func folderCounts(mailbox key: String, folder rawFolder: String) throws(GraphFailure)
        -> (id: String, displayName: String, total: Int, unread: Int) {
        let messages = try list(mailbox: key, folder: rawFolder, unreadOnly: false)
        let folder = folder(mailbox: key, rawFolder)!
        let wellKnown = WellKnownFolder.names[folder]
        return (wellKnown != nil ? WellKnownFolder.id(folder) : folder, wellKnown ?? mailbox(key).folders[folder] ?? folder,
                messages.count, messages.filter { !$0.isRead }.count)
    }

    /// A folder's key in ``StoredMessage/folder``: a well-known name, or the ID of a folder made through
    /// the API; nil when the mailbox has no such folder.
    func folder(mailbox key: String, _ nameOrID: String) -> String? {
        WellKnownFolder.resolve(nameOrID) ?? (mailbox(key).folders[nameOrID] != nil ? nameOrID : nil)
    }

    /// Folders with this display name (well-known or made through the API), as (id, display name).
    func folders(mailbox key: String, displayName: String?) -> [(id: String, displayName: String)] {
        let all = WellKnownFolder.names.map { (id: WellKnownFolder.id($0.key), displayName: $0.value) }
            + mailbox(key).folders.map { (id: $0.key, displayName: $0.value) }
        return all.filter { displayName == nil || $0.displayName.lowercased() == displayName!.lowercased() }
    }

    /// Makes a top-level folder; 409 ErrorFolderExists when one has the name.
    func createFolder(mailbox key: String, displayName: String) throws(GraphFailure) -> String {
        guard folders(mailbox: key, displayName: displayName).isEmpty else {
            throw GraphFailure(status: 409, code: "ErrorFolderExists", message: "A folder with the specified name already exists.")
        }
        let id = SandboxID.make("AAMkFolder")
        mailboxes[key]!.folders[id] = displayName
        return id
    }

    func message(mailbox key: String, id: String) throws(GraphFailure) -> StoredMessage {
        guard let message = mailbox(key).message(id) else { throw .itemNotFound }
        return message
    }

    /// PATCH: sets whichever of `isRead` and `categories` is given.
    func update(mailbox key: String, id: String, isRead: Bool?, categories: [String]?) throws(GraphFailure) -> StoredMessage {
        var message = try message(mailbox: key, id: id)
        if let isRead { message.isRead = isRead }
        if let categories { message.categories = categories }
        message.changeSequence = mailboxes[key]!.nextSequence()
        mailboxes[key]!.store(message)
        return message
    }

    /// Messages in any folder with this named extended property value, oldest first.
    func messages(mailbox key: String, property: (id: String, value: String)) -> [StoredMessage] {
        mailbox(key).messages.values.filter { $0.extendedProperties[property.id] == property.value }
            .sorted { $0.receivedDateTime < $1.receivedDateTime }
    }

    /// Moves a message; it gets a new REST ID (its immutable ID stays).
    func move(mailbox key: String, id: String, to destination: String) throws(GraphFailure) -> StoredMessage {
        guard let folder = folder(mailbox: key, destination) else {
            throw GraphFailure(status: 404, code: "ErrorInvalidIdMalformed", message: "Id is malformed.")
        }
        var message = try message(mailbox: key, id: id)
        let sequence = mailboxes[key]!.nextSequence()
        mailboxes[key]!.removals.append((message.immutableID, message.restID, message.folder, sequence))
        mailboxes[key]!.restIndex[message.restID] = nil
        message.folder = folder
        message.restID = SandboxID.make()
        message.changeSequence = mailboxes[key]!.nextSequence()
        mailboxes[key]!.store(message)
        return message
    }

    /// The message's MIME, built on first read for messages created through the API.
    func mime(mailbox key: String, id: String) throws(GraphFailure) -> ByteBuffer {
        var message = try message(mailbox: key, id: id)
        if let status = message.mimeFailureStatus {
            throw GraphFailure(status: status, code: "ErrorInternalServerError", message: "An internal server error occurred. The operation failed.")
        }
        if message.mime.readableBytes == 0 {
            message.mime = ByteBuffer(bytes: MIMEBuilder.build(message))
            mailboxes[key]!.store(message)
        }
        return message.mime
    }

    func attachment(mailbox key: String, messageID: String, attachmentID: String) throws(GraphFailure) -> StoredAttachment {
        guard let attachment = try message(mailbox: key, id: messageID).attachments.first(where: { $0.id == attachmentID }) else {
            throw .itemNotFound
        }
        return attachment
    }

    /// Adds a message to a mailbox (admin API and deliveries). Returns it with its MIME.
    @discardableResult
    func deliver(_ seed: SeedMessage, to key: String) throws(GraphFailure) -> StoredMessage {
        guard mailboxes[key] != nil else { throw .invalidUser(key) }
        let attachments = seed.attachments?.map { attachment in
            StoredAttachment(id: SandboxID.make("AAMkAtt"), name: attachment.name, contentType: attachment.contentType,
                             isInline: attachment.isInline ?? false, content: attachment.bytes)
        } ?? []
        var message = StoredMessage(
            immutableID: SandboxID.make(), restID: SandboxID.make(), folder: WellKnownFolder.resolve(seed.folder ?? "inbox") ?? "inbox",
            isRead: seed.isRead ?? false, isDraft: false, subject: seed.subject, from: seed.from,
            toRecipients: seed.to.map { EmailAddress(address: $0) }, ccRecipients: [], bccRecipients: [], replyTo: [],
            importance: "normal", body: (seed.bodyContentType ?? "text", seed.body ?? ""),
            receivedDateTime: seed.receivedDateTime ?? Date(),
            internetMessageID: "<\(SandboxID.guid())@sandbox.mailpool>",
            attachments: attachments, changeSequence: mailboxes[key]!.nextSequence(), mime: ByteBuffer())
        message.mime = ByteBuffer(bytes: seed.mime ?? MIMEBuilder.build(message))
        message.mimeFailureStatus = seed.mimeFailureStatus
        mailboxes[key]!.store(message)
        return message
    }
}

/// A message to seed through `POST /_sandbox/mailboxes/{address}/messages`.
public struct SeedMessage: Codable, Sendable {
    public var subject: String
    public var from: EmailAddress?
    public var to: [String]
    public var body: String?
    public var bodyContentType: String?
    public var receivedDateTime: Date?
    public var isRead: Bool?
    public var folder: String?
    public var attachments: [SeedAttachment]?
    /// Raw MIME to serve as `$value` instead of MIME built from the fields above.
    public var mime: [UInt8]?
    /// When set, `$value` always answers this status (a poison message).
    public var mimeFailureStatus: Int?

    public init(subject: String, from: EmailAddress? = nil, to: [String], body: String? = nil, bodyContentType: String? = nil,
                receivedDateTime: Date? = nil, isRead: Bool? = nil, folder: String? = nil,
                attachments: [SeedAttachment]? = nil, mime: [UInt8]? = nil, mimeFailureStatus: Int? = nil) {
        self.subject = subject
        self.from = from
        self.to = to
        self.body = body
        self.bodyContentType = bodyContentType
        self.receivedDateTime = receivedDateTime
        self.isRead = isRead
        self.folder = folder
        self.attachments = attachments
        self.mime = mime
        self.mimeFailureStatus = mimeFailureStatus
    }

    public struct SeedAttachment: Codable, Sendable {
        public var name: String
        public var contentType: String
        public var contentBase64: String?
        /// Instead of content: this many deterministic pseudo-random bytes (for large-message tests).
        public var generatedSize: Int?
        public var isInline: Bool?

        public init(name: String, contentType: String, contentBase64: String? = nil, generatedSize: Int? = nil,
                    isInline: Bool? = nil) {
            self.name = name
            self.contentType = contentType
            self.contentBase64 = contentBase64
            self.generatedSize = generatedSize
            self.isInline = isInline
        }

        var bytes: [UInt8] {
            if let contentBase64, let data = Data(base64Encoded: contentBase64) { return Array(data) }
            let size = generatedSize ?? 0
            var bytes = [UInt8](repeating: 0, count: size)
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(size)
            bytes.withUnsafeMutableBytes { raw in
                var offset = 0
                while offset < size {
                    state ^= state << 13
                    state ^= state >> 7
                    state ^= state << 17
                    withUnsafeBytes(of: state) { word in
                        let count = Swift.min(8, size - offset)
                        raw.baseAddress!.advanced(by: offset).copyMemory(from: word.baseAddress!, byteCount: count)
                    }
                    offset += 8
                }
            }
            return bytes
        }
    }
}

public extension EmailAddress {
    init(_ address: String, name: String? = nil) { self.init(name: name, address: address) }
}

extension Array where Element == UInt8 {
    var sha256Hex: String { SHA256.hash(data: self).hexString }
}

extension ByteBuffer {
    var sha256Hex: String { SHA256.hash(data: readableBytesView).hexString }
}
