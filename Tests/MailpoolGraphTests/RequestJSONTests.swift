import Foundation
import MailpoolCore
@testable import MailpoolCurl
@testable import MailpoolGraph
import Testing

/// The request bodies and labels the Graph client writes by hand, for speed, checked against what
/// Graph documents.
@Suite struct RequestJSONTests {
    @Test func aDraftCarriesEveryPropertyOfTheMail() throws {
        let mail = OutgoingMail(
            subject: "CAR \"7\" \\ Größe", body: "<p>line\nbreak</p>", bodyType: .html,
            to: [MailAddress("qa@supplier.example", name: "Q\u{1}A")], cc: [MailAddress("cc@contoso.example")],
            importance: .high,
            attachments: [MailAttachment(name: "coa.pdf", contentType: "application/pdf", content: Array("%PDF".utf8), isInline: true)],
            headers: [(name: "x-mailpool-notification-id", value: "n-1")], idempotencyKey: "key'1")
        var json = JSONWriter()
        mail.writeMessage(attachments: mail.attachments, into: &json)
        let message = try #require(try JSONSerialization.jsonObject(with: Data(json.bytes)) as? NSDictionary)
        let expected: NSDictionary = [
            "subject": "CAR \"7\" \\ Größe",
            "body": ["contentType": "html", "content": "<p>line\nbreak</p>"],
            "toRecipients": [["emailAddress": ["name": "Q\u{1}A", "address": "qa@supplier.example"]]],
            "ccRecipients": [["emailAddress": ["address": "cc@contoso.example"]]],
            "bccRecipients": [], "replyTo": [], "importance": "high",
            "attachments": [["@odata.type": "#microsoft.graph.fileAttachment", "name": "coa.pdf", "contentType": "application/pdf",
                             "contentBytes": "JVBERg==", "isInline": true]],
            "internetMessageHeaders": [["name": "x-mailpool-notification-id", "value": "n-1"]],
            "singleValueExtendedProperties": [["id": GraphClient.idempotencyPropertyID, "value": "key'1"]],
        ]
        #expect(message == expected)

        var bare = JSONWriter()
        OutgoingMail(subject: "s", body: "b", to: [MailAddress("a@b.example")]).writeMessage(attachments: [], into: &bare)
        let keys = try #require(try JSONSerialization.jsonObject(with: Data(bare.bytes)) as? [String: Any]).keys
        #expect(Set(keys) == ["subject", "body", "toRecipients", "ccRecipients", "bccRecipients", "replyTo", "importance"])
    }

    @Test(arguments: [
        ("POST", "/v1.0/users/a%40b.example/messages", "POST messages"),
        ("POST", "/v1.0/users/a%40b.example/messages/\(String(repeating: "AAMkAGI2", count: 19))%3D/send", "POST messages/{id}/send"),
        ("GET", "/v1.0/users/a%40b.example/mailFolders/inbox/messages?$top=10&$filter=a/b", "GET mailFolders/{id}/messages"),
        ("GET", "/v1.0/users/a%40b.example/messages/AAMk/$value", "GET messages/{id}/$value"),
        ("POST", "/v1.0/users/a%40b.example/messages/AAMk/attachments/createUploadSession", "POST attachments/createUploadSession"),
        ("DELETE", "/v1.0/users/a%40b.example/messages/AAMk/", "DELETE messages/{id}"),
        ("GET", "/v1.0/users/a%40b.example", "GET "),
    ])
    func operationLabelsNameTheKindOfRequest(method: String, path: String, label: String) {
        #expect(GraphMetrics.operation(method: method, path: path) == label)
    }

    @Test func theHostOfAURLLeavesOutUserAndPath() {
        #expect(CurlTransfer.host(of: "https://graph.example:8443/v1.0/users?x=1") == "graph.example:8443")
        #expect(CurlTransfer.host(of: "imaps://user@imap.contoso.example/INBOX") == "imap.contoso.example")
        #expect(CurlTransfer.host(of: "http://127.0.0.1:9090?a=b") == "127.0.0.1:9090")
        #expect(CurlTransfer.host(of: "not a url") == "?")
    }
}
