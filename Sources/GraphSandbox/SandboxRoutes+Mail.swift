import Foundation
import HTTPTypes
import Hummingbird
import MailpoolCore

/// Reading and changing mail: list with `$filter`/`$select`/`$top`/`$skip` paging, delta, a folder's
/// counts, `$value` MIME, attachments, changing `isRead` and `categories` (PATCH) and move.
extension SandboxRoutes {
    func registerMail(on router: Router<SandboxContext>) {
        router.get("/v1.0/users/:user/mailFolders/:folder/messages") { request, context -> Response in
            await graph(request, context, permission: "Mail.Read") { mailbox throws(GraphFailure) in
                let query = request.uri.queryParameters
                let filter = query["$filter"].map(String.init)
                var unreadOnly = false
                var property: (id: String, value: String)?
                switch filter?.replacingOccurrences(of: " ", with: "").lowercased() {
                case nil: break
                case "isreadeqfalse": unreadOnly = true
                case let text? where text.hasPrefix("singlevalueextendedproperties/any("):
                    property = Self.extendedPropertyFilter(filter!)
                    if property == nil { fallthrough }
                default: throw GraphFailure(status: 400, code: "ErrorInvalidUrlQueryFilter", message: "The query filter contains one or more invalid nodes.")
                }
                let top = min(1000, max(1, query["$top"].flatMap { Int($0) } ?? 10))
                let skip = max(0, query["$skip"].flatMap { Int($0) } ?? 0)
                let folder = context.parameters.get("folder") ?? ""
                let all = try await state.list(mailbox: mailbox, folder: folder, unreadOnly: unreadOnly)
                    .filter { message in property.map { message.extendedProperties[$0.id] == $0.value } ?? true }
                let page = all.dropFirst(skip).prefix(top)
                let select = Self.selection(query["$select"])
                let immutable = Self.wantsImmutableIDs(request)
                var json: [String: Any] = [
                    "@odata.context": "\(Self.base(of: request))/v1.0/$metadata#users('\(mailbox)')/mailFolders('\(folder)')/messages",
                    "value": page.map { GraphJSON.message($0, immutableIDs: immutable, select: select) },
                ]
                if skip + top < all.count {
                    var next = [("$top", String(top)), ("$skip", String(skip + top))]
                    if let filter { next.insert(("$filter", filter), at: 0) }
                    if let select = query["$select"] { next.append(("$select", String(select))) }
                    json["@odata.nextLink"] = "\(Self.base(of: request))/v1.0/users/\(Self.escape(mailbox))/mailFolders/\(folder)/messages?"
                        + next.map { "\($0.0)=\(Self.escape($0.1))" }.joined(separator: "&")
                }
                return GraphJSON.response(json)
            }
        }

        // Messages in every folder; the only filter taken is the extended-property one mailpool uses to
        // find a notification's draft or sent copy.
        router.get("/v1.0/users/:user/messages") { request, context -> Response in
            await graph(request, context, permission: "Mail.Read") { mailbox throws(GraphFailure) in
                let query = request.uri.queryParameters
                guard let filter = query["$filter"].map(String.init), let property = Self.extendedPropertyFilter(filter) else {
                    throw GraphFailure(status: 400, code: "ErrorInvalidUrlQueryFilter", message: "The query filter contains one or more invalid nodes.")
                }
                let top = min(1000, max(1, query["$top"].flatMap { Int($0) } ?? 10))
                let found = await state.messages(mailbox: mailbox, property: property).prefix(top)
                let select = Self.selection(query["$select"])
                let immutable = Self.wantsImmutableIDs(request)
                return GraphJSON.response([
                    "@odata.context": "\(Self.base(of: request))/v1.0/$metadata#users('\(mailbox)')/messages",
                    "value": found.map { GraphJSON.message($0, immutableIDs: immutable, select: select) },
                ])
            }
        }

        router.get("/v1.0/users/:user/mailFolders/:folder/messages/delta") { request, context -> Response in
            await graph(request, context, permission: "Mail.Read") { mailbox throws(GraphFailure) in
                let query = request.uri.queryParameters
                let folder = context.parameters.get("folder") ?? ""
                let token = DeltaToken(skip: query["$skiptoken"].map(String.init), delta: query["$deltatoken"].map(String.init))
                guard let token else {
                    throw GraphFailure(status: 400, code: "SyncStateNotFound", message: "The sync state generation is not found.")
                }
                let round = try await state.delta(mailbox: mailbox, folder: folder, after: token.since, upTo: token.cap)
                let immutable = Self.wantsImmutableIDs(request)
                let select = Self.selection(query["$select"])
                let entries: [[String: Any]] = round.changed.map { GraphJSON.message($0, immutableIDs: immutable, select: select) }
                    + round.removed.map { ["id": immutable ? $0.id : $0.restID, "@removed": ["reason": "deleted"]] }
                let pageSize = Self.maxPageSize(request) ?? 10
                let page = Array(entries.dropFirst(token.offset).prefix(pageSize))
                let link = "\(Self.base(of: request))/v1.0/users/\(Self.escape(mailbox))/mailFolders/\(folder)/messages/delta?"
                var json: [String: Any] = [
                    "@odata.context": "\(Self.base(of: request))/v1.0/$metadata#Collection(message)", "value": page,
                ]
                if token.offset + pageSize < entries.count {
                    let next = DeltaToken(since: token.since, offset: token.offset + pageSize, cap: round.watermark)
                    json["@odata.nextLink"] = link + "$skiptoken=" + next.skipToken
                } else {
                    json["@odata.deltaLink"] = link + "$deltatoken=" + DeltaToken.deltaToken(round.watermark)
                }
                return GraphJSON.response(json)
            }
        }

        // Top-level folders; the only filter taken is `displayName eq '…'`.
        router.get("/v1.0/users/:user/mailFolders") { request, context -> Response in
            await graph(request, context, permission: "Mail.Read") { mailbox throws(GraphFailure) in
                var name: String?
                if let filter = request.uri.queryParameters["$filter"].map(String.init) {
                    let pattern = /^\s*displayName\s+eq\s+'(.*)'\s*$/
                    guard let match = filter.wholeMatch(of: pattern) else {
                        throw GraphFailure(status: 400, code: "ErrorInvalidUrlQueryFilter", message: "The query filter contains one or more invalid nodes.")
                    }
                    name = String(match.1).replacingOccurrences(of: "''", with: "'")
                }
                let found = await state.folders(mailbox: mailbox, displayName: name)
                return GraphJSON.response(["value": found.map { ["id": $0.id, "displayName": $0.displayName] }])
            }
        }

        router.post("/v1.0/users/:user/mailFolders") { request, context -> Response in
            await graph(request, context, permission: "Mail.ReadWrite") { mailbox throws(GraphFailure) in
                let body = try await Self.body(request, limit: 1 << 20)
                guard let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let name = json["displayName"] as? String,
                      !name.isEmpty else {
                    throw GraphFailure(status: 400, code: "RequestBodyRead", message: "Unable to read JSON request payload.")
                }
                let id = try await state.createFolder(mailbox: mailbox, displayName: name)
                return GraphJSON.response(["id": id, "displayName": name], status: .created)
            }
        }

        router.get("/v1.0/users/:user/mailFolders/:folder") { request, context -> Response in
            await graph(request, context, permission: "Mail.Read") { mailbox throws(GraphFailure) in
                let counts = try await state.folderCounts(mailbox: mailbox, folder: context.parameters.get("folder") ?? "")
                return GraphJSON.response([
                    "id": counts.id, "displayName": counts.displayName,
                    "childFolderCount": 0, "unreadItemCount": counts.unread, "totalItemCount": counts.total,
                ])
            }
        }

        router.get("/v1.0/users/:user/messages/:id") { request, context -> Response in
            await graph(request, context, permission: "Mail.Read") { mailbox throws(GraphFailure) in
                let message = try await state.message(mailbox: mailbox, id: Self.id(context))
                return GraphJSON.response(GraphJSON.message(message, immutableIDs: Self.wantsImmutableIDs(request),
                                                            select: Self.selection(request.uri.queryParameters["$select"])))
            }
        }

        router.get("/v1.0/users/:user/messages/:id/$value") { request, context -> Response in
            await graph(request, context, permission: "Mail.Read") { mailbox throws(GraphFailure) in
                let mime = try await state.mime(mailbox: mailbox, id: Self.id(context))
                return Response(status: .ok, headers: [.contentType: "text/plain"],
                                body: ResponseBody(byteBuffer: mime))
            }
        }

        router.get("/v1.0/users/:user/messages/:id/attachments") { request, context -> Response in
            await graph(request, context, permission: "Mail.Read") { mailbox throws(GraphFailure) in
                let message = try await state.message(mailbox: mailbox, id: Self.id(context))
                let withContent = Self.selection(request.uri.queryParameters["$select"])?.contains("contentBytes") ?? true
                return GraphJSON.response(["value": message.attachments.map { GraphJSON.attachment($0, includeContent: withContent) }])
            }
        }

        router.get("/v1.0/users/:user/messages/:id/attachments/:attachment") { request, context -> Response in
            await graph(request, context, permission: "Mail.Read") { mailbox throws(GraphFailure) in
                let attachment = try await state.attachment(mailbox: mailbox, messageID: Self.id(context),
                                                            attachmentID: context.parameters.get("attachment") ?? "")
                return GraphJSON.response(GraphJSON.attachment(attachment, includeContent: true))
            }
        }

        router.get("/v1.0/users/:user/messages/:id/attachments/:attachment/$value") { request, context -> Response in
            await graph(request, context, permission: "Mail.Read") { mailbox throws(GraphFailure) in
                let attachment = try await state.attachment(mailbox: mailbox, messageID: Self.id(context),
                                                            attachmentID: context.parameters.get("attachment") ?? "")
                return Response(status: .ok, headers: [.contentType: attachment.contentType],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: attachment.content)))
            }
        }

        router.patch("/v1.0/users/:user/messages/:id") { request, context -> Response in
            await graph(request, context, permission: "Mail.ReadWrite") { mailbox throws(GraphFailure) in
                let body = try await Self.body(request, limit: 1 << 20)
                guard let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
                      json["isRead"] is Bool || json["categories"] is [String] else {
                    throw GraphFailure(status: 400, code: "RequestBodyRead", message: "Unable to read JSON request payload.")
                }
                let message = try await state.update(mailbox: mailbox, id: Self.id(context), isRead: json["isRead"] as? Bool,
                                                     categories: json["categories"] as? [String])
                return GraphJSON.response(GraphJSON.message(message, immutableIDs: Self.wantsImmutableIDs(request), select: nil))
            }
        }

        router.delete("/v1.0/users/:user/messages/:id") { request, context -> Response in
            await graph(request, context, permission: "Mail.ReadWrite") { mailbox throws(GraphFailure) in
                try await state.delete(mailbox: mailbox, id: Self.id(context))
                return Response(status: .noContent)
            }
        }

        router.post("/v1.0/users/:user/messages/:id/move") { request, context -> Response in
            await graph(request, context, permission: "Mail.ReadWrite") { mailbox throws(GraphFailure) in
                let body = try await Self.body(request, limit: 1 << 20)
                guard let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
                      let destination = json["destinationId"] as? String else {
                    throw GraphFailure(status: 400, code: "RequestBodyRead", message: "Unable to read JSON request payload.")
                }
                let moved = try await state.move(mailbox: mailbox, id: Self.id(context), to: destination)
                return GraphJSON.response(GraphJSON.message(moved, immutableIDs: Self.wantsImmutableIDs(request), select: nil),
                                          status: .created)
            }
        }
    }

    /// `singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value eq '…')` → (id, value).
    static func extendedPropertyFilter(_ filter: String) -> (id: String, value: String)? {
        func literal(after marker: String) -> String? {
            guard let start = filter.range(of: marker) else { return nil }
            var value = ""
            var index = start.upperBound
            while index < filter.endIndex {
                let character = filter[index]
                let next = filter.index(after: index)
                if character == "'" {
                    guard next < filter.endIndex, filter[next] == "'" else { return value }
                    value.append("'")
                    index = filter.index(after: next)
                } else {
                    value.append(character)
                    index = next
                }
            }
            return nil
        }
        guard let id = literal(after: "ep/id eq '"), let value = literal(after: "ep/value eq '") else { return nil }
        return (id, value)
    }

    static func id(_ context: SandboxContext) -> String {
        context.parameters.get("id").map { $0.percentDecoded ?? $0 } ?? ""
    }

    static func selection(_ select: Substring?) -> Set<String>? {
        select.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
    }

    static func escape(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~@$"))) ?? value
    }
}

/// Delta state in `$skiptoken` (a page within a round) and `$deltatoken` (the watermark of a finished
/// round), opaque to clients.
struct DeltaToken {
    /// Changes after this sequence number; nil for the initial round.
    let since: Int?
    let offset: Int
    /// The round's upper bound, fixed by its first page.
    let cap: Int?

    init(since: Int?, offset: Int, cap: Int?) {
        self.since = since
        self.offset = offset
        self.cap = cap
    }

    /// Parses the tokens of a request; a request without tokens starts the initial round.
    init?(skip: String?, delta: String?) {
        if let skip {
            let parts = Self.open(skip).split(separator: ".")
            guard parts.count == 4, parts[0] == "s", let offset = Int(parts[2]), let cap = Int(parts[3]) else { return nil }
            self.init(since: Int(parts[1]), offset: offset, cap: cap)
        } else if let delta {
            let parts = Self.open(delta).split(separator: ".")
            guard parts.count == 2, parts[0] == "d", let since = Int(parts[1]) else { return nil }
            self.init(since: since, offset: 0, cap: nil)
        } else {
            self.init(since: nil, offset: 0, cap: nil)
        }
    }

    var skipToken: String { Self.seal("s.\(since.map(String.init) ?? "none").\(offset).\(cap ?? 0)") }

    static func deltaToken(_ watermark: Int) -> String { seal("d.\(watermark)") }

    private static func seal(_ text: String) -> String { Base64URL.encode(Data(text.utf8)) }

    private static func open(_ token: String) -> String {
        Base64URL.decode(token).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}
