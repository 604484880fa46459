import FoundationEssentials
import MailpoolCore
import MailpoolCurl

/// Sending mail: `sendMail` with the attachments inline when they total 3 MB or less; otherwise a
/// draft, its attachments (large ones through upload sessions), then `send`.
extension GraphClient {
    /// Attachments up to this total travel inside the sendMail request (Graph's request limit is 4 MB,
    /// and base64 adds a third).
    public static let inlineAttachmentLimit = 3 * 1024 * 1024
    /// Upload-session chunk size: a multiple of 320 KiB, as Graph requires.
    static let uploadChunkSize = 320 * 1024 * 12

    /// Sends `mail` from `mailbox` in one go (`sendMail`), or as a draft when its attachments exceed
    /// 3 MB. Only a 401 (with a new token) or a 429 is retried; any answer that leaves open whether Graph accepted the message (a
    /// lost response, a timeout, a 5xx) ends in ``GraphError/outcomeUnknown(operation:detail:)``, and
    /// the caller decides. Notifications, which must go exactly once, use drafts instead
    /// (``createDraft(from:_:onlyIf:)``, ``sendDraft(mailbox:id:onlyIf:)``).
    public func sendMail(from mailbox: String, _ mail: OutgoingMail, saveToSentItems: Bool = true) async throws(GraphError) {
        let attachmentBytes = mail.attachments.reduce(0) { $0 + $1.content.count }
        guard attachmentBytes > Self.inlineAttachmentLimit else {
            var body = JSONWriter(capacity: mail.estimatedJSONSize)
            body.object { body in
                body.key("message")
                mail.writeMessage(attachments: mail.attachments, into: &body)
                body.member("saveToSentItems", saveToSentItems)
            }
            _ = try await perform(Call(method: "POST", path: "\(Self.user(mailbox))/sendMail", body: body.bytes,
                                       contentType: "application/json", idempotent: false), mailbox: mailbox)
            return
        }
        try await sendDraft(mailbox: mailbox, id: try await createDraft(from: mailbox, mail))
    }

    /// createUploadSession, then PUT the content in chunks to the pre-authenticated upload URL (which
    /// must not get an Authorization header).
    func upload(_ attachment: MailAttachment, to messagePath: String, mailbox: String) async throws(GraphError) {
        struct Session: Decodable { let uploadUrl: String }
        let request = UploadSessionRequest(item: .init(name: attachment.name, size: attachment.content.count,
                                                       contentType: attachment.contentType, isInline: attachment.isInline))
        let session = try await perform(
            Call(method: "POST", path: "\(messagePath)/attachments/createUploadSession",
                 body: try encode(request), contentType: "application/json"),
            mailbox: mailbox, as: Session.self)
        var offset = 0
        while offset < attachment.content.count {
            let end = min(offset + Self.uploadChunkSize, attachment.content.count)
            let chunk = HTTPRequest(method: "PUT", url: session.uploadUrl,
                                    headers: [("Content-Type", "application/octet-stream"),
                                              ("Content-Range", "bytes \(offset)-\(end - 1)/\(attachment.content.count)")],
                                    body: Array(attachment.content[offset..<end]), timeout: context.requestTimeout,
                                    caFile: context.caFile)
            let response: CurlResponse
            do {
                response = try await context.engine.perform(chunk)
            } catch let error as CurlError {
                throw .transport(error)
            } catch {
                throw .cancelled
            }
            guard (200..<300).contains(response.status) else { throw GraphError(response: response, mailbox: mailbox) }
            offset = end
        }
    }

    /// The named MAPI property mailpool stores each notification's idempotency key in.
    public static let idempotencyPropertyID = "String {6f1c3a4e-2b7d-4e85-9a61-0c3d5e7f9b21} Name MailpoolIdempotencyKey"

    func encode<T: Encodable>(_ value: T) throws(GraphError) -> [UInt8] {
        do {
            return Array(try JSONEncoder().encode(value))
        } catch {
            throw .invalidResponse("cannot encode the request: \(error)")
        }
    }
}

extension OutgoingMail {
    /// Writes Graph's `message` resource as sendMail and draft creation take it, with `attachments`
    /// inline. (Written directly: through `JSONEncoder` it was 7 % of the notification worker's CPU.)
    func writeMessage(attachments: [MailAttachment], into json: inout JSONWriter) {
        json.object { json in
            json.member("subject", subject)
            json.key("body")
            json.object { json in
                json.member("contentType", bodyType.rawValue)
                json.member("content", body)
            }
            for (key, list) in [("toRecipients", to), ("ccRecipients", cc), ("bccRecipients", bcc), ("replyTo", replyTo)] {
                json.key(key)
                json.array(list) { json, recipient in recipient.writeRecipient(into: &json) }
            }
            json.member("importance", importance.rawValue)
            if !attachments.isEmpty {
                json.key("attachments")
                json.array(attachments) { json, attachment in attachment.writeFileAttachment(into: &json) }
            }
            if !headers.isEmpty {
                json.key("internetMessageHeaders")
                json.array(headers) { json, header in
                    json.object { json in
                        json.member("name", header.name)
                        json.member("value", header.value)
                    }
                }
            }
            if let idempotencyKey {
                json.key("singleValueExtendedProperties")
                json.array(CollectionOfOne(idempotencyKey)) { json, key in
                    json.object { json in
                        json.member("id", GraphClient.idempotencyPropertyID)
                        json.member("value", key)
                    }
                }
            }
        }
    }

    /// Room for the message's JSON: its body, its attachments in base64, and the rest.
    var estimatedJSONSize: Int {
        body.utf8.count + attachments.reduce(0) { $0 + $1.content.count / 3 * 4 + 256 } + 1024
    }
}

extension MailAddress {
    /// Graph's `recipient`: `{"emailAddress":{"name":…,"address":…}}`, without a name when it has none.
    func writeRecipient(into json: inout JSONWriter) {
        json.object { json in
            json.key("emailAddress")
            json.object { json in
                if let name { json.member("name", name) }
                json.member("address", address)
            }
        }
    }
}

extension MailAttachment {
    /// A `fileAttachment` with its content in base64.
    func writeFileAttachment(into json: inout JSONWriter) {
        json.object { json in
            json.member("@odata.type", "#microsoft.graph.fileAttachment")
            json.member("name", name)
            json.member("contentType", contentType)
            json.member("contentBytes", Data(content).base64EncodedString())
            json.member("isInline", isInline)
        }
    }
}

/// The body of `createUploadSession`: `{"AttachmentItem": {"attachmentType": "file", …}}`.
private struct UploadSessionRequest: Encodable {
    struct Item: Encodable {
        var attachmentType = "file"
        let name: String
        let size: Int
        let contentType: String
        let isInline: Bool
    }

    let item: Item

    private enum CodingKeys: String, CodingKey {
        case item = "AttachmentItem"
    }
}
