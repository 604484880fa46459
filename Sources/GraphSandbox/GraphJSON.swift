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
            "isRead": message.isRead, "isDraft": message.isDraft,
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
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1024)
        write(object, into: &bytes)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                         body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Writes `value` as JSON: a tree of `[String: Any]`, arrays, strings, integers and Booleans, as these
    /// routes build them; slashes are not escaped, as Graph writes them. (Foundation's JSONSerialization
    /// bridged each dictionary to an NSDictionary: a third of the sandbox's CPU under
    /// `mailpool-bench notifications`.)
    private static func write(_ value: Any, into bytes: inout [UInt8]) {
        switch value {
        case let text as String:
            write(string: text, into: &bytes)
        case let flag as Bool:
            bytes += (flag ? "true" : "false").utf8
        case let number as Int:
            bytes += String(number).utf8
        case let object as [String: Any]:
            bytes.append(UInt8(ascii: "{"))
            for (index, (key, member)) in object.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                write(string: key, into: &bytes)
                bytes.append(UInt8(ascii: ":"))
                write(member, into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        case let array as [Any]:
            bytes.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                write(element, into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        default:
            preconditionFailure("the sandbox has no JSON for \(type(of: value))")
        }
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\u00XX`, everything else as UTF-8.
    private static func write(string: String, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes += [UInt8(ascii: "\\"), byte]
            case ..<0x20:
                bytes += "\\u00\([byte].hexString)".utf8
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
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
