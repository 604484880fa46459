import Foundation
import HTTPTypes
import Hummingbird
import MailpoolCore

/// Graph's JSON shapes for messages and attachments, and JSON responses.
enum GraphJSON {
    static func message(_ message: StoredMessage, immutableIDs: Bool, select: Set<String>?) -> [String: Any] {
        func recipients(_ list: [EmailAddress]) -> [[String: Any]] { list.map(address) }
        let received = timestamp(message.receivedDateTime)
        var json: [String: Any] = [
            "@odata.etag": "W/\"CQAAABYAAAB\(message.changeSequence)\"",
            "id": immutableIDs ? message.immutableID : message.restID,
            "createdDateTime": received, "lastModifiedDateTime": received, "receivedDateTime": received,
            "sentDateTime": received, "hasAttachments": message.hasAttachments,
            "internetMessageId": message.internetMessageID, "subject": message.subject,
            "bodyPreview": String(message.body.content.prefix(255)), "importance": message.importance,
            "parentFolderId": WellKnownFolder.id(message.folder), "conversationId": "AAQkAGI2conv",
            "isRead": message.isRead, "isDraft": message.isDraft, "categories": message.categories,
            "body": ["contentType": message.body.contentType, "content": message.body.content],
            "toRecipients": recipients(message.toRecipients), "ccRecipients": recipients(message.ccRecipients),
            "bccRecipients": recipients(message.bccRecipients), "replyTo": recipients(message.replyTo),
        ]
        if let from = message.from {
            json["from"] = address(from)
            json["sender"] = address(from)
        }
        guard let select else { return json }
        return json.filter { select.contains($0.key) || $0.key == "id" || $0.key == "@odata.etag" }
    }

    static func attachment(_ attachment: StoredAttachment, includeContent: Bool) -> [String: Any] {
        var json: [String: Any] = [
            "@odata.type": "#microsoft.graph.fileAttachment", "id": attachment.id, "name": attachment.name,
            "contentType": attachment.contentType, "size": attachment.content.count, "isInline": attachment.isInline,
            "lastModifiedDateTime": timestamp(Date()),
        ]
        if includeContent { json["contentBytes"] = Data(attachment.content).base64EncodedString() }
        return json
    }

    static func response(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        var json = JSONWriter(capacity: 1024)
        write(object, into: &json)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                         body: ResponseBody(byteBuffer: ByteBuffer(bytes: json.bytes)))
    }

    /// Writes `value` as JSON: a tree of `[String: Any]`, arrays, strings, integers and Booleans, as these
    /// routes build them. (Foundation's JSONSerialization bridged each dictionary to an NSDictionary: a
    /// third of the sandbox's CPU under `mailpool-bench notifications`.)
    private static func write(_ value: Any, into json: inout JSONWriter) {
        switch value {
        case let text as String:
            json.string(text)
        case let flag as Bool:
            json.bool(flag)
        case let number as Int:
            json.int(number)
        case let object as [String: Any]:
            json.object { json in
                for (key, member) in object {
                    json.key(key)
                    write(member, into: &json)
                }
            }
        case let array as [Any]:
            json.array(array) { json, element in write(element, into: &json) }
        default:
            preconditionFailure("the sandbox has no JSON for \(type(of: value))")
        }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    private static func address(_ address: EmailAddress) -> [String: Any] {
        ["emailAddress": ["name": address.name ?? address.address, "address": address.address]]
    }
}

extension GraphFailure {
    /// `{"error":{"code":…,"message":…,"innerError":{…}}}` with `Retry-After` when set.
    var response: Response {
        var response = GraphJSON.response(
            ["error": ["code": code, "message": message,
                       "innerError": ["date": GraphJSON.timestamp(Date()), "request-id": SandboxID.guid(),
                                      "client-request-id": SandboxID.guid()]]],
            status: HTTPResponse.Status(code: status))
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }
}

extension TokenFailure {
    /// Entra's error body: `error`, `error_description` (with trace lines), `error_codes`, ids, `error_uri`.
    var response: Response {
        let trace = SandboxID.guid()
        let correlation = SandboxID.guid()
        let now = GraphJSON.timestamp(Date())
        return GraphJSON.response([
            "error": error,
            "error_description": "AADSTS\(aadsts): \(description)\r\nTrace ID: \(trace)\r\nCorrelation ID: \(correlation)\r\nTimestamp: \(now)",
            "error_codes": [aadsts], "timestamp": now, "trace_id": trace, "correlation_id": correlation,
            "error_uri": "https://login.microsoftonline.com/error?code=\(aadsts)",
        ], status: HTTPResponse.Status(code: status))
    }
}
