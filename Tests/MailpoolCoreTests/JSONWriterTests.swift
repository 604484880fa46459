import Foundation
import MailpoolCore
import Testing

/// What ``JSONWriter`` writes is read back by Foundation's parser as the same values.
@Suite struct JSONWriterTests {
    @Test func everyCharacterJSONEscapesReadsBackUnchanged() throws {
        let controls = String(decoding: (0..<0x20).map { UInt8($0) }, as: UTF8.self)
        for text in [controls, #"quote " and backslash \ and slash /"#, "Größe 証明書 🧪", "", "\u{7f}\u{2028}"] {
            var json = JSONWriter()
            json.array([text]) { json, text in json.string(text) }
            let parsed = try JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String]
            #expect(parsed == [text])
        }
    }

    @Test func membersAndElementsAreSeparatedAtEveryDepth() throws {
        var json = JSONWriter()
        json.object { json in
            json.member("subject", "CoA")
            json.key("to")
            json.array(["a@contoso.example", "b@contoso.example"]) { json, address in
                json.object { json in
                    json.key("emailAddress")
                    json.object { $0.member("address", address) }
                }
            }
            json.key("none")
            json.array([String]()) { json, text in json.string(text) }
            json.key("empty")
            json.object { _ in }
            json.member("isInline", false)
            json.key("size")
            json.int(-42)
        }
        #expect(String(decoding: json.bytes, as: UTF8.self) == #"{"subject":"CoA","to":[{"emailAddress":{"address":"a@contoso.example"}},{"emailAddress":{"address":"b@contoso.example"}}],"none":[],"empty":{},"isInline":false,"size":-42}"#)
        #expect(try JSONSerialization.jsonObject(with: Data(json.bytes)) is [String: Any])
    }
}
