import Crypto
import GraphSandbox
import MailpoolGraph
import Testing

@Suite struct SendTests {
    @Test func sendMailWithInlineAttachmentsRecordsEveryField() async throws {
        let fixture = try await SandboxFixture()
        let report = [UInt8](repeating: 0x41, count: 100_000)
        let mail = OutgoingMail(
            subject: "Corrective action request 42", body: "<p>Please respond</p>", bodyType: .html,
            to: [MailAddress("qa@supplier.example", name: "QA")], cc: [MailAddress("buyer@contoso.example")],
            bcc: [MailAddress("audit@contoso.example")], replyTo: [MailAddress("quality@contoso.example")], importance: .high,
            attachments: [MailAttachment(name: "car.pdf", contentType: "application/pdf", content: report)],
            headers: [("x-mailpool-notification-id", "n-1")])
        try await fixture.client().sendMail(from: SandboxFixture.mailbox, mail)
        let sent = try #require(await fixture.sandbox.sent(from: SandboxFixture.mailbox).first)
        #expect(sent.subject == "Corrective action request 42")
        #expect(sent.toRecipients == ["qa@supplier.example"] && sent.ccRecipients == ["buyer@contoso.example"])
        #expect(sent.bccRecipients == ["audit@contoso.example"] && sent.replyTo == ["quality@contoso.example"])
        #expect(sent.bodyContentType == "html" && sent.body == "<p>Please respond</p>")
        #expect(sent.attachments.map(\.size) == [100_000])
        #expect(sent.attachments.first?.sha256 == SHA256.hash(data: report).map { String(format: "%02x", $0) }.joined())
        #expect(sent.internetMessageHeaders["x-mailpool-notification-id"] == "n-1")
        #expect(await fixture.sandbox.statistics().count("POST /v1.0/users/:user/sendMail 202") == 1)
        await fixture.stop()
    }

    @Test func largeAttachmentGoesThroughAnUploadSession() async throws {
        let fixture = try await SandboxFixture()
        let big = (0..<(5 * 1024 * 1024 + 123)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let small = [UInt8]("small".utf8)
        let mail = OutgoingMail(subject: "Large", body: "see attached", to: [MailAddress(SandboxFixture.otherMailbox)],
                                attachments: [MailAttachment(name: "big.bin", contentType: "application/octet-stream", content: big),
                                              MailAttachment(name: "small.txt", contentType: "text/plain", content: small)])
        try await fixture.client().sendMail(from: SandboxFixture.mailbox, mail)
        let sent = try #require(await fixture.sandbox.sent(from: SandboxFixture.mailbox).first)
        #expect(Set(sent.attachments.map(\.name)) == ["big.bin", "small.txt"])
        #expect(sent.attachments.first { $0.name == "big.bin" }?.sha256 == SHA256.hash(data: big).map { String(format: "%02x", $0) }.joined())
        let stats = await fixture.sandbox.statistics()
        #expect(stats.count("POST /v1.0/users/:user/messages/:id/attachments/createUploadSession 201") == 1)
        #expect(stats.count("PUT /_upload/:session") == 2)
        #expect(stats.count("POST /v1.0/users/:user/messages/:id/send 202") == 1)
        #expect(stats.count("POST /v1.0/users/:user/sendMail") == 0)
        // Delivered to the recipient mailbox, which the sandbox also hosts.
        #expect(try await fixture.sandbox.count(SandboxFixture.otherMailbox, folder: "inbox").total == 1)
        await fixture.stop()
    }

    @Test func invalidRecipientIsAServiceErrorNotRetried() async throws {
        let fixture = try await SandboxFixture()
        await expectGraphError({
            try await fixture.client().sendMail(from: SandboxFixture.mailbox,
                                                OutgoingMail(subject: "x", body: "y", to: [MailAddress("not an address")]))
        }) { if case .service(400, "ErrorInvalidRecipients", _) = $0 { true } else { false } }
        #expect(await fixture.sandbox.statistics().count("POST /v1.0/users/:user/sendMail") == 1)
        await fixture.stop()
    }
}
