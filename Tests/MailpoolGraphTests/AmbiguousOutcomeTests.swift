import Foundation
import GraphSandbox
import MailpoolGraph
import Testing

/// Requests that must not be repeated, against the sandbox's faults after the work: nothing below the
/// caller sends them twice, neither the client's retries nor libcurl's own re-send on a reused
/// connection, and every unknown outcome is reported as such.
@Suite struct AmbiguousOutcomeTests {
    static let mail = OutgoingMail(subject: "Certificate of analysis", body: "attached", to: [MailAddress("qa@supplier.example")])

    /// The connection is kept alive by a first request; Graph then carries out sendMail and the
    /// connection closes before any response byte. libcurl would re-send the request on a fresh
    /// connection by itself ("Connection died, retrying a fresh connect"); it must not.
    @Test func aLostResponseOnAKeptAliveConnectionIsNotSentAgain() async throws {
        let fixture = try await SandboxFixture(pacing: nil)
        let client = fixture.client()
        _ = try await client.inboxCounts(mailbox: SandboxFixture.mailbox)
        await fixture.sandbox.setFaults(SandboxFaults(script: [.init(lostResponse: true)]))
        await expectGraphError({ try await client.sendMail(from: SandboxFixture.mailbox, Self.mail) }) {
            if case .outcomeUnknown(operation: "POST sendMail", _) = $0 { true } else { false }
        }
        #expect(await fixture.sandbox.sent(from: SandboxFixture.mailbox).count == 1)
        // Over HTTP/1.1 libcurl did try: it opened a second connection for its re-send, which was refused
        // before any byte of the request went out on it. Over HTTP/2 it fails the stream instead.
        #expect(fixture.context.engine.connectionsOpened == (SandboxFixture.tls == nil ? 2 : 1))
        let stats = await fixture.sandbox.statistics()
        #expect(stats.count("POST /v1.0/users/:user/sendMail") == 1)
        // The same fault on a read is retried (libcurl or the client) and succeeds.
        await fixture.sandbox.setFaults(SandboxFaults(script: [.init(lostResponse: true)]))
        _ = try await client.inboxCounts(mailbox: SandboxFixture.mailbox)
        #expect(await fixture.sandbox.statistics().count("GET /v1.0/users/:user/mailFolders/:folder") == 3)
        await fixture.stop()
    }

    /// 504 and 503 may follow the work: not retried for sendMail or send. 429 is a refusal: retried.
    @Test func fiveHundredsAreUnknownOutcomesAnd429IsRetried() async throws {
        let fixture = try await SandboxFixture(pacing: nil)
        let client = fixture.client()
        for fault in [SandboxFaults.ScriptedFault(statusAfterWork: 504), .init(status: 503), .init(status: 504)] {
            await fixture.sandbox.setFaults(SandboxFaults(script: [fault]))
            await expectGraphError({ try await client.sendMail(from: SandboxFixture.mailbox, Self.mail) }) {
                if case .outcomeUnknown = $0 { true } else { false }
            }
        }
        // Only the 504 after the work sent anything; nothing was repeated.
        #expect(await fixture.sandbox.sent(from: SandboxFixture.mailbox).count == 1)
        #expect(await fixture.sandbox.statistics().count("POST /v1.0/users/:user/sendMail") == 3)
        await fixture.sandbox.setFaults(SandboxFaults(script: [.init(status: 429, retryAfterSeconds: 1)]))
        try await client.sendMail(from: SandboxFixture.mailbox, Self.mail)
        #expect(await fixture.sandbox.sent(from: SandboxFixture.mailbox).count == 2)
        await fixture.stop()
    }

    /// A 202 carrying `Retry-After` is a success: the draft is sent once.
    @Test func acceptedWithRetryAfterIsASuccess() async throws {
        let fixture = try await SandboxFixture(pacing: nil)
        let client = fixture.client()
        await fixture.sandbox.setFaults(SandboxFaults(retryAfterOnSuccessRate: 1))
        var mail = Self.mail
        mail.idempotencyKey = "key-202"
        let id = try await client.createDraft(from: SandboxFixture.mailbox, mail)
        try await client.sendDraft(mailbox: SandboxFixture.mailbox, id: id)
        #expect(await fixture.sandbox.sent(from: SandboxFixture.mailbox).count == 1)
        await fixture.stop()
    }

    /// A sent draft reads as a draft until Exchange files it in Sent Items (here 5 s later), then as
    /// sent under the same immutable ID; the lookup by key finds it in either folder. A deleted draft
    /// is gone, and deleting it again is not an error.
    @Test func aSentDraftIsFiledLateUnderItsImmutableID() async throws {
        let fixture = try await SandboxFixture(pacing: nil)
        let client = fixture.client()
        await fixture.sandbox.setFaults(SandboxFaults(sentItemsDelaySeconds: 5))
        var mail = Self.mail
        mail.idempotencyKey = "key-late"
        let id = try await client.createDraft(from: SandboxFixture.mailbox, mail)
        let created = try await client.messages(withIdempotencyKey: "key-late", mailbox: SandboxFixture.mailbox)
        #expect(created.messages.map(\.id) == [id] && created.messages.allSatisfy(\.isDraft))
        // Graph's clock and the draft's creation are read (not zero, not hours off); a loaded machine may
        // take seconds between the two calls.
        #expect(abs(created.now.timeIntervalSinceNow) < 60 && abs(created.messages[0].created.timeIntervalSinceNow) < 60)
        // Filing happens 5 s after acceptance, which comes after `sending`; a lookup answered within 5 s
        // of `sending` must still see the draft. A loaded machine that takes longer proves nothing here.
        let sending = ContinuousClock.now
        try await client.sendDraft(mailbox: SandboxFixture.mailbox, id: id)
        let beforeFiling = try await client.messages(withIdempotencyKey: "key-late", mailbox: SandboxFixture.mailbox)
        if ContinuousClock.now - sending < .seconds(5) {
            #expect(beforeFiling.messages.map(\.isDraft) == [true])
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while try await client.messages(withIdempotencyKey: "key-late", mailbox: SandboxFixture.mailbox).messages.map(\.isDraft) != [false] {
            try #require(ContinuousClock.now < deadline, "never filed in Sent Items")
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try await fixture.sandbox.count(SandboxFixture.mailbox, folder: "sentitems").total == 1)
        #expect(try await fixture.sandbox.count(SandboxFixture.mailbox, folder: "drafts").total == 0)

        mail.idempotencyKey = "key-deleted"
        let draft = try await client.createDraft(from: SandboxFixture.mailbox, mail)
        try await client.deleteMessage(mailbox: SandboxFixture.mailbox, id: draft)
        try await client.deleteMessage(mailbox: SandboxFixture.mailbox, id: draft)
        #expect(try await client.messages(withIdempotencyKey: "key-deleted", mailbox: SandboxFixture.mailbox).messages.isEmpty)
        await fixture.stop()
    }
}
