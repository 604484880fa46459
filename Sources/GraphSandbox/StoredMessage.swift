import Foundation
import MailpoolCore
import NIOCore

/// A message as the sandbox keeps it: the Graph properties it serves, its MIME and attachments.
struct StoredMessage: Sendable {
    /// Immutable ID (served when the client sends `Prefer: IdType="ImmutableId"`).
    let immutableID: String
    /// REST ID, which changes when the message moves to another folder (as Graph's default IDs do).
    var restID: String
    var folder: String
    var isRead: Bool
    var isDraft: Bool
    var subject: String
    var from: EmailAddress?
    var toRecipients: [EmailAddress]
    var ccRecipients: [EmailAddress]
    var bccRecipients: [EmailAddress]
    var replyTo: [EmailAddress]
    var importance: String
    var body: (contentType: String, content: String)
    var receivedDateTime: Date
    var internetMessageID: String
    var attachments: [StoredAttachment]
    /// Graph's `categories`, as the last PATCH set them.
    var categories: [String] = []
    /// Named extended properties set when the message was sent, by property ID.
    var extendedProperties: [String: String] = [:]
    /// Bumped on every change, for delta queries.
    var changeSequence: Int
    /// Empty for messages created through the API (drafts, sent mail) until first read; seeded messages
    /// have it from the start. A ByteBuffer, so that serving `$value` shares the bytes instead of copying them.
    var mime: ByteBuffer
    /// When set, `$value` always answers this status: a message Graph cannot serve (seen with
    /// corrupted items, which answer 500 ErrorInternalServerError).
    var mimeFailureStatus: Int? = nil

    var hasAttachments: Bool { attachments.contains { !$0.isInline } }

    /// The same message under new IDs, as a copy delivered to another mailbox is.
    func withNewIDs() -> StoredMessage {
        StoredMessage(immutableID: SandboxID.make(), restID: SandboxID.make(), folder: folder, isRead: isRead,
                      isDraft: isDraft, subject: subject, from: from, toRecipients: toRecipients,
                      ccRecipients: ccRecipients, bccRecipients: bccRecipients, replyTo: replyTo,
                      importance: importance, body: body, receivedDateTime: receivedDateTime,
                      internetMessageID: internetMessageID, attachments: attachments, categories: categories,
                      extendedProperties: extendedProperties, changeSequence: changeSequence, mime: mime)
    }
}

struct StoredAttachment: Sendable {
    let id: String
    let name: String
    let contentType: String
    let isInline: Bool
    let content: [UInt8]
}

/// Graph's `emailAddress` object.
public struct EmailAddress: Codable, Sendable, Equatable {
    public var name: String?
    public var address: String
}

enum SandboxID {
    /// An opaque Graph-looking ID.
    static func make(_ prefix: String = "AAMkAGI2") -> String {
        prefix + randomBytes().hexString
    }

    /// A random (version 4) GUID in lower case, as Graph writes its request IDs.
    static func guid() -> String {
        var bytes = randomBytes()
        bytes[6] = bytes[6] & 0x0f | 0x40  // version 4
        bytes[8] = bytes[8] & 0x3f | 0x80  // RFC 4122's variant
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (index, digit) in bytes.hexString.utf8.enumerated() {
            if index == 8 || index == 12 || index == 16 || index == 20 { text.append(UInt8(ascii: "-")) }
            text.append(digit)
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// 16 bytes from the system's generator (getrandom). Foundation's `UUID()` opened /dev/urandom on
    /// every call, five times a notification: 5 % of the sandbox's CPU under `mailpool-bench notifications`.
    private static func randomBytes() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let words = [generator.next(), generator.next()]
        return words.withUnsafeBytes { Array($0) }
    }
}
