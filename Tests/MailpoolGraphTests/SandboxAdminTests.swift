import Foundation
import GraphSandbox
import MailpoolCurl
import MailpoolGraph
import Testing

@Suite struct SandboxAdminTests {
    @Test func adminAPISeedsMailAndReportsCounters() async throws {
        let fixture = try await SandboxFixture()
        let engine = fixture.context.engine
        let seed = #"{"subject":"COA lot 42","to":["coa@contoso.example"],"body":"attached","from":{"address":"lab@vendor.example"}}"#
        let created = try await engine.perform(HTTPRequest(
            method: "POST", url: "\(fixture.running.baseURL)/_sandbox/mailboxes/coa@contoso.example/messages",
            headers: [("Content-Type", "application/json")], body: Array(seed.utf8), caFile: fixture.context.caFile))
        #expect(created.status == 201)
        let page = try await fixture.client().unreadInboxMessages(mailbox: SandboxFixture.mailbox)
        #expect(page.messages.map(\.subject) == ["COA lot 42"])

        let stats = try await engine.perform(HTTPRequest(url: "\(fixture.running.baseURL)/_sandbox/stats", caFile: fixture.context.caFile))
        let counters = try JSONDecoder().decode(SandboxCounters.self, from: Data(stats.body))
        #expect(counters.tokensIssued == 1)
        #expect(counters.count("GET /v1.0/users/:user/mailFolders/:folder/messages 200") == 1)

        let faults = try await engine.perform(HTTPRequest(
            method: "PUT", url: "\(fixture.running.baseURL)/_sandbox/faults", body: Array(#"{"script":[{"status":503}]}"#.utf8),
            caFile: fixture.context.caFile))
        #expect(faults.status == 204)
        _ = try await fixture.client().inboxCounts(mailbox: SandboxFixture.mailbox)
        #expect(await fixture.sandbox.statistics().count("GET /v1.0/users/:user/mailFolders/:folder 503") == 1)
        await fixture.stop()
    }

    /// The sandbox writes its JSON itself: a subject with every character JSON escapes, slashes and
    /// non-ASCII text must read back as it was seeded, through the client's JSON decoder.
    @Test func jsonEscapesReadBackUnchanged() async throws {
        let fixture = try await SandboxFixture()
        let subject = "Quote \" backslash \\ slash / tab \t newline \n bell \u{7} Größe 証明書 🧪"
        struct Seed: Encodable {
            let subject: String
            var to = ["coa@contoso.example"]
        }
        let seed = try JSONEncoder().encode(Seed(subject: subject))
        let created = try await fixture.context.engine.perform(HTTPRequest(
            method: "POST", url: "\(fixture.running.baseURL)/_sandbox/mailboxes/coa@contoso.example/messages",
            headers: [("Content-Type", "application/json")], body: Array(seed), caFile: fixture.context.caFile))
        #expect(created.status == 201)
        let page = try await fixture.client().unreadInboxMessages(mailbox: SandboxFixture.mailbox)
        #expect(page.messages.map(\.subject) == [subject])
        await fixture.stop()
    }

    @Test func sendRateLimitAnswers429WithRetryAfter() async throws {
        let fixture = try await SandboxFixture(retry: GraphRetryPolicy(maxAttempts: 1))
        await fixture.sandbox.setLimits(SandboxLimits(enabled: true, messagesSentPerMinute: 3))
        let mail = OutgoingMail(subject: "n", body: "b", to: [MailAddress("someone@elsewhere.example")])
        for _ in 0..<3 { try await fixture.client().sendMail(from: SandboxFixture.mailbox, mail) }
        let error = await expectGraphError({ try await fixture.client().sendMail(from: SandboxFixture.mailbox, mail) }) {
            if case .throttled(let retryAfter) = $0 { (retryAfter ?? 0) > 50 } else { false }
        }
        #expect(error != nil)
        #expect(await fixture.sandbox.sent(from: SandboxFixture.mailbox).count == 3)
        await fixture.stop()
    }
}
