import FoundationEssentials
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
            let body = SendMailBody(message: MessageBody(mail, attachments: mail.attachments), saveToSentItems: saveToSentItems)
            _ = try await perform(Call(method: "POST", path: "\(Self.user(mailbox))/sendMail", body: try encode(body),
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

private struct SendMailBody: Encodable {
    let message: MessageBody
    let saveToSentItems: Bool
}

/// Graph's `message` resource as sendMail and draft creation take it.
struct MessageBody: Encodable {
    struct Body: Encodable {
        let contentType: String
        let content: String
    }

    struct Header: Encodable {
        let name: String
        let value: String
    }

    let subject: String
    let body: Body
    let toRecipients: [GraphRecipient]
    let ccRecipients: [GraphRecipient]
    let bccRecipients: [GraphRecipient]
    let replyTo: [GraphRecipient]
    let importance: String
    let attachments: [AttachmentBody]?
    let internetMessageHeaders: [Header]?
    let singleValueExtendedProperties: [ExtendedProperty]?

    struct ExtendedProperty: Encodable {
        let id: String
        let value: String
    }

    init(_ mail: OutgoingMail, attachments: [MailAttachment]) {
        func recipients(_ list: [MailAddress]) -> [GraphRecipient] {
            list.map { GraphRecipient(emailAddress: .init(name: $0.name, address: $0.address)) }
        }
        subject = mail.subject
        body = Body(contentType: mail.bodyType.rawValue, content: mail.body)
        toRecipients = recipients(mail.to)
        ccRecipients = recipients(mail.cc)
        bccRecipients = recipients(mail.bcc)
        replyTo = recipients(mail.replyTo)
        importance = mail.importance.rawValue
        self.attachments = attachments.isEmpty ? nil : attachments.map(AttachmentBody.init)
        internetMessageHeaders = mail.headers.isEmpty ? nil : mail.headers.map { Header(name: $0.name, value: $0.value) }
        singleValueExtendedProperties = mail.idempotencyKey.map { [ExtendedProperty(id: GraphClient.idempotencyPropertyID, value: $0)] }
    }
}

/// A `fileAttachment` with its content in base64.
struct AttachmentBody: Encodable {
    let odataType = "#microsoft.graph.fileAttachment"
    let name: String
    let contentType: String
    let contentBytes: String
    let isInline: Bool

    init(_ attachment: MailAttachment) {
        name = attachment.name
        contentType = attachment.contentType
        contentBytes = Data(attachment.content).base64EncodedString()
        isInline = attachment.isInline
    }

    enum CodingKeys: String, CodingKey {
        case odataType = "@odata.type"
        case name, contentType, contentBytes, isInline
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
