import Crypto
import Foundation
import GraphSandbox
import MailpoolCore
import MailpoolGraph
import MailpoolTestSupport
import Testing

@Suite struct MailTests {
    @Test func pagingReturnsEveryUnreadMessageExactlyOnce() async throws {
        let fixture = try await SandboxFixture()
        try await fixture.seedMessages(57)
        let client = fixture.client()
        var page = try await client.unreadInboxMessages(mailbox: SandboxFixture.mailbox, pageSize: 10)
        var ids = page.messages.map(\.id)
        var pages = 1
        while let next = page.nextLink {
            page = try await client.messagePage(next, mailbox: SandboxFixture.mailbox)
            ids += page.messages.map(\.id)
            pages += 1
        }
        #expect(ids.count == 57)
        #expect(Set(ids).count == 57)
        #expect(pages == 6)
        let first = try #require(page.messages.first)
        #expect(first.from?.emailAddress.address == "supplier@vendor.example")
        #expect(first.internetMessageId?.hasPrefix("<") == true)
        await fixture.stop()
    }

    @Test func deltaReturnsEverythingThenOnlyChanges() async throws {
        let fixture = try await SandboxFixture()
        try await fixture.seedMessages(12)
        let client = fixture.client()
        var ids: [String] = []
        var page = try await client.delta(mailbox: SandboxFixture.mailbox, pageSize: 5)
        ids += page.messages.map(\.id)
        while let next = page.nextLink {
            page = try await client.delta(mailbox: SandboxFixture.mailbox, link: next, pageSize: 5)
            ids += page.messages.map(\.id)
        }
        #expect(Set(ids).count == 12 && ids.count == 12)
        let deltaLink = try #require(page.deltaLink)

        try await fixture.seedMessages(2, subject: "new")
        try await client.moveToDeletedItems(mailbox: SandboxFixture.mailbox, messageID: ids[0])
        let changes = try await client.delta(mailbox: SandboxFixture.mailbox, link: deltaLink)
        #expect(changes.messages.count == 2)
        #expect(changes.messages.allSatisfy { $0.subject?.hasPrefix("new") == true })
        #expect(changes.removedIDs == [ids[0]])
        #expect(changes.deltaLink != nil)
        await fixture.stop()
    }

    @Test func markReadAndMoveKeepTheImmutableID() async throws {
        let fixture = try await SandboxFixture()
        try await fixture.seedMessages(1)
        let client = fixture.client()
        let message = try #require(try await client.unreadInboxMessages(mailbox: SandboxFixture.mailbox).messages.first)
        try await client.markRead(mailbox: SandboxFixture.mailbox, messageID: message.id)
        #expect(try await client.inboxCounts(mailbox: SandboxFixture.mailbox) == (total: 1, unread: 0))
        let moved = try await client.moveToDeletedItems(mailbox: SandboxFixture.mailbox, messageID: message.id)
        #expect(moved.id == message.id)
        #expect(moved.isRead == true)
        #expect(try await fixture.sandbox.count(SandboxFixture.mailbox, folder: "deleteditems") == (total: 1, unread: 0))
        #expect(try await client.inboxCounts(mailbox: SandboxFixture.mailbox).total == 0)
        await fixture.stop()
    }

    @Test func attachmentsAreListedAndFetchedToFiles() async throws {
        let fixture = try await SandboxFixture()
        let pdf = [UInt8]("%PDF-1.7 certificate of analysis".utf8)
        try await fixture.sandbox.seed(SeedMessage(
            subject: "COA with attachment", from: EmailAddress("lab@vendor.example"), to: [SandboxFixture.mailbox],
            attachments: [.init(name: "coa.pdf", contentType: "application/pdf", contentBase64: Data(pdf).base64EncodedString())]),
            to: SandboxFixture.mailbox)
        let client = fixture.client()
        let message = try #require(try await client.unreadInboxMessages(mailbox: SandboxFixture.mailbox).messages.first)
        #expect(message.hasAttachments == true)
        let attachments = try await client.attachments(mailbox: SandboxFixture.mailbox, messageID: message.id)
        #expect(attachments.map(\.name) == ["coa.pdf"])
        #expect(attachments.first?.size == pdf.count)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("att-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let size = try await client.downloadAttachment(mailbox: SandboxFixture.mailbox, messageID: message.id,
                                                       attachmentID: attachments[0].id, to: path)
        #expect(size == pdf.count)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == pdf)
        await fixture.stop()
    }

    /// Measured over plain HTTP/1.1 only: the sandbox runs in the measured process, and over HTTPS its
    /// own TLS and HTTP/2 buffers (libcurl opens a 32 MB stream window) would be counted as the client's.
    @Test(.enabled(if: SandboxFixture.tls == nil, "the in-process server's TLS buffers would be measured with the client"))
    func fiftyMegabyteMIMEStreamsToDiskWithFlatMemory() async throws {
        guard ProcessInfo.processInfo.environment["MAILPOOL_MEMORY_PROBE"] != nil else {
            // Resident memory is per process, and other tests run in parallel in this one: measure in a
            // process of its own that runs only this test.
            let run = try await runThisTestAlone("fiftyMegabyteMIMEStreamsToDiskWithFlatMemory")
            #expect(run.status == 0, "\(run.output.split(separator: "\n").suffix(30).joined(separator: "\n"))")
            return
        }
        let fixture = try await SandboxFixture()
        let seeded = try await fixture.sandbox.seed(SeedMessage(
            subject: "big", to: [SandboxFixture.mailbox],
            attachments: [.init(name: "scan.tiff", contentType: "image/tiff", generatedSize: 50 * 1024 * 1024)]),
            to: SandboxFixture.mailbox)
        #expect(seeded.size > 50 * 1024 * 1024)
        let client = fixture.client()
        _ = try await client.inboxCounts(mailbox: SandboxFixture.mailbox)  // token and connection ready
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mime-\(UUID().uuidString).eml").path
        defer { try? FileManager.default.removeItem(atPath: path) }

        let baseline = residentBytes()
        let peak = PeakSampler()
        let sampling = Task { await peak.run() }
        let size = try await client.downloadMIME(mailbox: SandboxFixture.mailbox, messageID: seeded.id, to: path)
        sampling.cancel()
        _ = await sampling.result
        let growth = await peak.peak - baseline
        #expect(size == seeded.size)
        #expect(try sha256(ofFile: path) == seeded.sha256)
        #expect(growth < 16 * 1024 * 1024, "resident memory grew by \(growth / 1024 / 1024) MB while downloading \(size / 1024 / 1024) MB")
        await fixture.stop()
    }

    /// A download into a file has no limit on its length, only on its pace: with every answer 1.5 s
    /// late and a 1 s request timeout, a listing times out but a MIME download goes through.
    @Test func aDownloadIsBoundedByItsPaceNotItsLength() async throws {
        let fixture = try await SandboxFixture()
        let seeded = try await fixture.sandbox.seed(SeedMessage(subject: "slow", to: [SandboxFixture.mailbox]), to: SandboxFixture.mailbox)
        var context = fixture.context
        context.requestTimeout = 1
        let client = GraphClient(app: GraphApp(tenantID: SandboxFixture.tenant, clientID: SandboxFixture.goodApp,
                                               credential: .secret(Secret(SandboxFixture.secret))), cloud: fixture.cloud, context: context)
        _ = try await client.inboxCounts(mailbox: SandboxFixture.mailbox)  // token ready
        await fixture.sandbox.setFaults(SandboxFaults(slowRate: 1, slowMilliseconds: 1500))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("slow-\(UUID().uuidString).eml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try await client.downloadMIME(mailbox: SandboxFixture.mailbox, messageID: seeded.id, to: path) == seeded.size)
        await #expect(throws: GraphError.self) { _ = try await client.inboxCounts(mailbox: SandboxFixture.mailbox) }
        await fixture.stop()
    }
}

/// Runs the test binary again with only `test`, and `MAILPOOL_MEMORY_PROBE` set; returns its exit
/// status and what it printed.
func runThisTestAlone(_ test: String) async throws -> (status: Int32, output: String) {
    var environment = ProcessInfo.processInfo.environment
    environment["MAILPOOL_MEMORY_PROBE"] = "1"
    return try await runProgram(URL(fileURLWithPath: CommandLine.arguments[0]), ["--testing-library", "swift-testing", "--filter", test],
                                environment: environment, mergingErrors: true)
}

/// VmRSS of this process in bytes.
func residentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kilobytes * 1024
}

/// Samples resident memory every 2 ms and keeps the highest value.
actor PeakSampler {
    private(set) var peak = 0

    func run() async {
        while !Task.isCancelled {
            peak = max(peak, residentBytes())
            try? await Task.sleep(for: .milliseconds(2))
        }
    }
}


func sha256(ofFile path: String) throws -> String {
    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    var hasher = SHA256()
    while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
    return hasher.finalize().hexString
}
