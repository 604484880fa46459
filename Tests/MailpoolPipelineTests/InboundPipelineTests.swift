import Crypto
import Foundation
import GraphSandbox
import MailpoolCore
import MailpoolPipeline
import MailpoolTestSupport
import Testing

@Suite struct InboundPipelineTests {
    /// 20 mailboxes × 100 messages (some with attachments, one of 20 MB) through two pollers and two
    /// fetch workers: every message arrives downstream once, stored byte-identical, and ends up read
    /// in Deleted Items.
    @Test func everyMessageArrivesOnceStoredIdenticallyAndSettled() async throws {
        let fixture = try await PipelineFixture(mailboxes: 20)
        var seeded: [String: (sha256: String, size: Int)] = [:]
        for (boxIndex, mailbox) in fixture.mailboxes.enumerated() {
            for index in 0..<100 {
                var attachments: [SeedMessage.SeedAttachment] = []
                if index % 10 == 0 {
                    attachments.append(.init(name: "coa-\(index).pdf", contentType: "application/pdf",
                                             contentBase64: Data("PDF \(mailbox) \(index)".utf8).base64EncodedString()))
                }
                if boxIndex == 7 && index == 42 {
                    attachments.append(.init(name: "scan.tiff", contentType: "image/tiff", generatedSize: 20 * 1024 * 1024))
                }
                let message = try await fixture.sandbox.seed(SeedMessage(
                    subject: "COA \(index)", from: EmailAddress("lab@vendor.example"), to: [mailbox],
                    body: "Certificate \(index) for \(mailbox)", attachments: attachments.isEmpty ? nil : attachments), to: mailbox)
                seeded["graph:\(mailbox):\(message.id)"] = (message.sha256, message.size)
            }
        }
        let events = try await fixture.collectEvents()
        try await fixture.startPoller()
        try await fixture.startPoller()
        try await fixture.startWorker()
        try await fixture.startWorker()

        try await eventually(within: 240, "only \(events.count) of 2000 events arrived") { events.count >= 2000 }
        try await fixture.drain(events)  // duplicates, if any, have arrived now

        let all = events.all
        #expect(all.count == 2000, "duplicates downstream")
        #expect(Set(all.map(\.dedupeKey)) == Set(seeded.keys))
        for event in all {
            let expected = try #require(seeded[event.dedupeKey])
            #expect(event.sha256 == expected.sha256 && event.size == expected.size)
            let path = fixture.store.root + "/" + event.storedAt
            #expect(try sha256(ofFile: path) == expected.sha256, "stored MIME differs for \(event.dedupeKey)")
        }
        #expect(all.filter { !$0.attachments.isEmpty }.count == 201)  // every tenth, and the 20 MB one
        #expect(all.contains { $0.attachments.contains { $0.name == "scan.tiff" && $0.size == 20 * 1024 * 1024 } })
        for mailbox in fixture.mailboxes {
            #expect(try await fixture.sandbox.count(mailbox, folder: "inbox").total == 0)
            #expect(try await fixture.sandbox.count(mailbox, folder: "deleteditems") == (total: 100, unread: 0))
        }
        await fixture.stop()
    }
}

func sha256(ofFile path: String) throws -> String {
    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    var hasher = SHA256()
    while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
    return hasher.finalize().hexString
}
