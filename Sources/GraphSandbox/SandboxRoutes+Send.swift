import Foundation
import HTTPTypes
import Hummingbird

/// Sending: sendMail (4 MB request limit, as Graph's), drafts, attachments, upload sessions for large
/// attachments, and sending a draft.
extension SandboxRoutes {
    static let requestLimit = 4 * 1024 * 1024

    func registerSend(on router: Router<SandboxContext>) {
        router.post("/v1.0/users/:user/sendMail") { request, context -> Response in
            await graph(request, context, permission: "Mail.Send", isSend: true) { mailbox throws(GraphFailure) in
                let json = try Self.decode(SendMailJSON.self, from: try await Self.body(request, limit: Self.requestLimit))
                try await state.sendMail(mailbox: mailbox, json)
                return Response(status: .accepted)
            }
        }

        router.post("/v1.0/users/:user/messages") { request, context -> Response in
            await graph(request, context, permission: "Mail.ReadWrite") { mailbox throws(GraphFailure) in
                let json = try Self.decode(OutgoingMessageJSON.self, from: try await Self.body(request, limit: Self.requestLimit))
                let draft = try await state.createDraft(mailbox: mailbox, json)
                return GraphJSON.response(GraphJSON.message(draft, immutableIDs: Self.wantsImmutableIDs(request), select: nil),
                                          status: .created)
            }
        }

        router.post("/v1.0/users/:user/messages/:id/attachments") { request, context -> Response in
            await graph(request, context, permission: "Mail.ReadWrite") { mailbox throws(GraphFailure) in
                let json = try Self.decode(OutgoingMessageJSON.Attachment.self,
                                           from: try await Self.body(request, limit: Self.requestLimit))
                guard let base64 = json.contentBytes, let content = Data(base64Encoded: base64) else {
                    throw .badRequest("contentBytes is required.")
                }
                let attachment = StoredAttachment(id: SandboxID.make("AAMkAtt"), name: json.name,
                                                  contentType: json.contentType ?? "application/octet-stream",
                                                  isInline: json.isInline ?? false, content: Array(content))
                try await state.addAttachment(mailbox: mailbox, messageID: Self.id(context), attachment)
                return GraphJSON.response(GraphJSON.attachment(attachment, includeContent: false), status: .created)
            }
        }

        router.post("/v1.0/users/:user/messages/:id/attachments/createUploadSession") { request, context -> Response in
            await graph(request, context, permission: "Mail.ReadWrite") { mailbox throws(GraphFailure) in
                struct Body: Decodable {
                    struct Item: Decodable {
                        let attachmentType: String
                        let name: String
                        let size: Int
                        let contentType: String?
                        let isInline: Bool?
                    }
                    let AttachmentItem: Item
                }
                let item = try Self.decode(Body.self, from: try await Self.body(request, limit: 1 << 20)).AttachmentItem
                let session = try await state.createUploadSession(
                    mailbox: mailbox, messageID: Self.id(context), name: item.name,
                    contentType: item.contentType ?? "application/octet-stream", isInline: item.isInline ?? false, size: item.size)
                return GraphJSON.response([
                    "@odata.context": "\(Self.base(of: request))/v1.0/$metadata#microsoft.graph.uploadSession",
                    "uploadUrl": "\(Self.base(of: request))/_upload/\(session.id)?authtoken=\(SandboxID.guid())",
                    "expirationDateTime": GraphJSON.timestamp(Date(timeIntervalSince1970: session.expires)),
                    "nextExpectedRanges": ["0-"],
                ], status: .created)
            }
        }

        // The upload URL carries its own authorization: a bearer token here is refused, as Graph does.
        router.put("/_upload/:session") { request, context -> Response in
            guard request.headers[.authorization] == nil else {
                return GraphFailure.invalidToken("The upload URL is pre-authenticated; do not send an Authorization header.").response
            }
            do throws(GraphFailure) {
                guard let range = request.headers[.contentRange].flatMap(ContentRange.init) else {
                    throw GraphFailure(status: 400, code: "InvalidRange", message: "Content-Range is required.")
                }
                let bytes = Array(try await Self.body(request, limit: 60 * 1024 * 1024))
                let next = try await state.upload(session: context.parameters.get("session") ?? "", start: range.start,
                                                  end: range.end, total: range.total, bytes: bytes)
                guard let next else { return Response(status: .created) }
                return GraphJSON.response(["expirationDateTime": GraphJSON.timestamp(Date().addingTimeInterval(3600)),
                                           "nextExpectedRanges": ["\(next)-"]])
            } catch {
                return error.response
            }
        }

        router.post("/v1.0/users/:user/messages/:id/send") { request, context -> Response in
            await graph(request, context, permission: "Mail.Send", isSend: true) { mailbox throws(GraphFailure) in
                try await state.sendDraft(mailbox: mailbox, id: Self.id(context))
                return Response(status: .accepted)
            }
        }
    }
}

/// `Content-Range: bytes start-end/total`.
struct ContentRange {
    let start: Int
    let end: Int
    let total: Int

    init?(_ header: String) {
        guard header.hasPrefix("bytes ") else { return nil }
        let parts = header.dropFirst(6).split(whereSeparator: { $0 == "-" || $0 == "/" }).compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        (start, end, total) = (parts[0], parts[1], parts[2])
    }
}
