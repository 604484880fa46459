import Foundation
import MailpoolPipeline
import MailpoolTestSupport
import Testing

/// MIMESummary against Python's `email` package (`policy.default`) on a corpus neither wrote: the
/// real-world messages of Python's own tests (Debian's `libpython3.11-testsuite`). Every field an
/// InboundMail event carries is compared, message by message; each remaining difference must be
/// explained below as Python's quirk, not ours.
@Suite struct MIMECorpusTests {
    static let corpus = ProcessInfo.processInfo.environment["MAILPOOL_MIME_CORPUS"] ?? "/usr/lib/python3.11/test/test_email/data"
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("MIMECorpus/python_summary.py").path

    /// Differences that are Python's, by "file field".
    static let explained: [String: String] = [
        "msg_15.txt attachments": "the nested multipart/alternative reuses its parent's boundary (the defect Python's own test_same_boundary_inner_outer is about): Python ends both multiparts at the inner closing delimiter and loses the xx.gif part that follows; mailpool, as mail clients do, reads on and lists it",
        "msg_43.txt from": "`From: MAILER DAEMON <>` (a null sender): Python reports the address as the text `<>`; there is no address, so mailpool reports no sender",
    ]

    struct Reference: Decodable {
        struct Address: Decodable, Equatable {
            let name: String?
            let address: String
        }
        struct Attachment: Decodable, Equatable {
            let name: String
            let contentType: String
            let size: Int
        }
        let subject: String
        let from: Address?
        let to: [Address]
        let cc: [Address]
        let date: Double?
        let attachments: [Attachment]
    }

    @Test func summariesMatchPythonsEmailPackage() async throws {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: Self.corpus))?.filter { $0.hasPrefix("msg_") && $0.hasSuffix(".txt") }.sorted() ?? []
        try #require(files.count > 40, "the corpus is missing: install Debian's libpython3.11-testsuite")
        let reference = try JSONDecoder().decode([String: Reference].self, from: try await python(files.map { "\(Self.corpus)/\($0)" }))
        var differences: [String] = []
        var explainedSeen: Set<String> = []
        for file in files {
            let ours = try MIMESummary(file: "\(Self.corpus)/\(file)")
            let theirs = try #require(reference[file])
            func compare<T: Equatable>(_ field: String, _ mine: T, _ python: T) {
                guard mine != python else { return }
                if Self.explained["\(file) \(field)"] != nil {
                    explainedSeen.insert("\(file) \(field)")
                } else {
                    differences.append("\(file) \(field): mailpool \(mine), Python \(python)")
                }
            }
            compare("subject", ours.subject, theirs.subject)
            compare("from", ours.from.map { Reference.Address(name: $0.name, address: $0.address) }, theirs.from)
            compare("to", ours.to.map { Reference.Address(name: $0.name, address: $0.address) }, theirs.to)
            compare("cc", ours.cc.map { Reference.Address(name: $0.name, address: $0.address) }, theirs.cc)
            compare("date", ours.date?.timeIntervalSince1970, theirs.date)
            compare("attachments", ours.attachments.map { Reference.Attachment(name: $0.name, contentType: $0.contentType ?? "", size: $0.size) },
                    theirs.attachments)
        }
        #expect(differences.isEmpty, Comment(rawValue: "\(differences.count) differences from Python:\n" + differences.joined(separator: "\n")))
        #expect(explainedSeen == Set(Self.explained.keys), "an explained difference no longer occurs: remove it")
    }

    private func python(_ paths: [String]) async throws -> Data {
        let run = try await runCommand(["python3", Self.script] + paths)
        try #require(run.status == 0, "python3 \(Self.script) failed")
        return Data(run.output.utf8)
    }

    /// The header forms the corpus lacks, each checked against what Python reports for it.
    @Test func encodedWordsQuotedCommasAndRFC2231Parameters() async throws {
        let message = """
        From: =?utf-8?Q?Jos=C3=A9_P=C3=A9rez?= <jose@vendor.example>
        To: "Doe, John" <john@contoso.example>, =?iso-8859-1?B?Sm/rbA==?= <joel@contoso.example>, plain@contoso.example (Plain)
        Cc: Undisclosed recipients:;, qa: a@x.example, "b \\"q\\"" <b@x.example>;
        Subject: =?utf-8?B?Q2VydGlmaWNhdGUgb2YgYW5hbHlzaXMg4oCT?= =?utf-8?Q?_lot_42?= done
        Date: 27 Nov 26 10:00 EST
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="b"

        --b
        Content-Type: text/plain

        body
        --b
        Content-Type: application/pdf
        Content-Disposition: attachment; filename*=utf-8''Pr%C3%BCfbericht%20%E2%82%AC.pdf
        Content-Transfer-Encoding: base64

        JVBERi0x
        --b
        Content-Type: text/plain; name*0*=iso-8859-1''r%E9sum%E9; name*1=".txt"
        Content-Transfer-Encoding: quoted-printable

        caf=C3=A9 au lait=
         done
        --b
        Content-Type: image/png; name="=?utf-8?Q?logo_=E2=84=A2.png?="
        Content-Disposition: inline

        PNG
        --b--
        """.replacingOccurrences(of: "\n", with: "\r\n")
        let (ours, theirs) = try await summaries(of: message)
        #expect(ours.subject == "Certificate of analysis – lot 42 done" && ours.subject == theirs.subject)
        #expect(ours.from?.name == "José Pérez" && ours.from?.address == "jose@vendor.example")
        #expect(ours.to.map(\.name) == ["Doe, John", "Joël", nil] && ours.to.map(\.address) == ["john@contoso.example", "joel@contoso.example", "plain@contoso.example"])
        #expect(ours.to.map { Reference.Address(name: $0.name, address: $0.address) } == theirs.to)
        #expect(ours.cc.map { Reference.Address(name: $0.name, address: $0.address) } == theirs.cc)
        #expect(ours.cc.map(\.address) == ["a@x.example", "b@x.example"] && ours.cc.last?.name == "b \"q\"")
        #expect(ours.date == Date(timeIntervalSince1970: 1_795_791_600) && ours.date?.timeIntervalSince1970 == theirs.date)
        #expect(ours.attachments.map(\.name) == ["Prüfbericht €.pdf", "résumé.txt"])
        #expect(ours.attachments.map(\.size) == [6, 18])
        #expect(ours.attachments.map { Reference.Attachment(name: $0.name, contentType: $0.contentType ?? "", size: $0.size) } == theirs.attachments)
    }

    /// Encoded words in charsets beyond UTF-8 and Latin-1 (Cyrillic, Chinese, Japanese) decode as
    /// Python decodes them: the executable converts them with glibc's iconv.
    @Test func encodedWordsInCyrillicChineseAndJapaneseCharsets() async throws {
        let subject = "=?koi8-r?Q?=F0=D2=C9=D7=C5=D4?= =?windows-1251?Q?_=EC=E8=F0?= =?gb2312?B?xOO6ww==?= "
            + "=?iso-2022-jp?B?GyRCRnxLXBsoQg==?= =?big5?B?u0/GVw==?="
        let message = "From: a@x.example\r\nSubject: \(subject)\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
        let (ours, theirs) = try await summaries(of: message)
        #expect(ours.subject == "Привет мир你好日本臺灣" && ours.subject == theirs.subject, "Python: \(theirs.subject)")
    }

    /// `message` summarised by mailpool and by Python's parser, from one file.
    private func summaries(of message: String) async throws -> (ours: MIMESummary, theirs: Reference) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("message-\(UUID().uuidString).eml").path
        try message.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reference = try JSONDecoder().decode([String: Reference].self, from: try await python([path])).values.first
        return (try MIMESummary(file: path), try #require(reference))
    }
}
