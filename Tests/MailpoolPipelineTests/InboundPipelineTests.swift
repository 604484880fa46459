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

    /// Graph's faults on every request: 3 % 503s and 3 % dropped connections before the work, 3 %
    /// answers lost and 3 % 504s after it. A move that failed, or whose outcome is unknown, leaves the
    /// message to the next reading, which settles it without publishing its event again (before, 6 of
    /// 300 events were duplicates in the container run). No message is set aside here: a move may fail
    /// more than three times.
    @Test func failedAndAmbiguousMovesNeverDuplicateAnEvent() async throws {
        let fixture = try await PipelineFixture(mailboxes: 2)
        for mailbox in fixture.mailboxes {
            try await fixture.seed(60, to: mailbox)
        }
        let events = try await fixture.collectEvents()
        await fixture.sandbox.setFaults(SandboxFaults(serviceUnavailableRate: 0.03, dropRate: 0.03, lostResponseRate: 0.03, gatewayTimeoutRate: 0.03))
        try await fixture.startPoller()
        try await fixture.startWorker(quarantineAfter: 1000)
        var left = -1
        try await eventually(within: 300, "\(events.count) events, \(left) messages left in the Inboxes") {
            left = 0
            for mailbox in fixture.mailboxes { left += try await fixture.sandbox.count(mailbox, folder: "inbox").total }
            return left == 0
        }
        try await fixture.drain(events)
        let keys = events.all.map(\.dedupeKey)
        #expect(Set(keys).count == 120, "\(120 - Set(keys).count) messages lost")
        #expect(keys.count == Set(keys).count, "\(keys.count - Set(keys).count) duplicate events")
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
