import Foundation
import GraphSandbox
import MailpoolAccounts
import MailpoolTestSupport
import Testing

/// The guide's activation flow with the CLI, against a running pool: a new account is added inactive,
/// tested, activated (refused until its test passes against the configuration being activated), and
/// the old one deactivated; the pool follows through live reload, and the file keeps every other byte.
@Suite struct AccountActivationTests {
    @Test func anAccountIsActivatedOnlyAfterItsTestPassesAndThePoolFollows() async throws {
        let fixture = try await PipelineFixture(mailboxes: 2)
        let (old, new) = (fixture.mailboxes[0], fixture.mailboxes[1])
        let outbound = #", "outbound": {"protocol": "GRAPH", "mailbox": "\#(new)", "tenantId": "\#(PipelineFixture.tenant)", "clientId": "\#(PipelineFixture.client)", "clientSecret": "\#(PipelineFixture.secret)", "authority": "\#(fixture.running.baseURL)", "graphBaseURL": "\#(fixture.running.baseURL)"}}"#
        let newAccount = String(fixture.graphAccount(name: "New", mailbox: new, client: PipelineFixture.client, secret: PipelineFixture.secret,
                                                     active: false).dropLast()) + outbound
        let broken = fixture.graphAccount(name: "Broken", mailbox: "expired@contoso.example", client: PipelineFixture.expiredClient,
                                          secret: PipelineFixture.expiredSecret, active: false)
        try #"{"accounts": [\#(fixture.graphAccount(name: "Old", mailbox: old, client: PipelineFixture.client, secret: PipelineFixture.secret, active: true)),"#
            .appending("\n  \(newAccount),\n  \(broken)]}\n").write(toFile: fixture.accountsPath, atomically: true, encoding: .utf8)
        for index in 0..<3 { try await fixture.sandbox.seed(SeedMessage(subject: "old \(index)", to: [old]), to: old) }
        for index in 0..<3 { try await fixture.sandbox.seed(SeedMessage(subject: "new \(index)", to: [new]), to: new) }
        let events = try await fixture.collectEvents()
        try await fixture.startPoller()
        try await fixture.startWorker()
        try await eventually(within: 120, "the old account's mail never arrived") { events.count == 3 }

        func mailpool(_ arguments: String...) async throws -> (status: Int32, output: String) {
            try await runProgram(MailpoolProcess.executable, arguments + ["--accounts", fixture.accountsPath], mergingErrors: true)
        }
        // Never tested: refused, the file untouched.
        let before = try String(contentsOfFile: fixture.accountsPath, encoding: .utf8)
        var run = try await mailpool("accounts", "activate", "New", "--inbound")
        #expect(run.status != 0 && run.output.contains("never tested"), "\(run.output)")
        #expect(try String(contentsOfFile: fixture.accountsPath, encoding: .utf8) == before)

        // Tested, then changed: refused again until tested again.
        #expect(try await mailpool("accounts", "test", "New", "--inbound").status == 0)
        #expect(try await mailpool("accounts", "list").output.contains("inactive, tested OK"))
        let changed = before.replacingOccurrences(of: #""mailbox": "\#(new)", "active": false,"#, with: #""mailbox": "\#(new)", "active": false, "batchSize": 10,"#)
        try changed.write(toFile: fixture.accountsPath, atomically: true, encoding: .utf8)
        run = try await mailpool("accounts", "activate", "New", "--inbound")
        #expect(run.status != 0 && run.output.contains("changed since"), "\(run.output)")
        try before.write(toFile: fixture.accountsPath, atomically: true, encoding: .utf8)
        #expect(try await mailpool("accounts", "list").output.contains("inactive, tested OK"))

        // Activated: only that flag changed in the file, and the running pool fetches the new mailbox.
        run = try await mailpool("accounts", "activate", "New", "--inbound")
        #expect(run.status == 0, "\(run.output)")
        let after = try String(contentsOfFile: fixture.accountsPath, encoding: .utf8)
        #expect(after == before.replacingOccurrences(of: #""mailbox": "\#(new)", "active": false"#, with: #""mailbox": "\#(new)", "active": true"#))
        try await eventually(within: 120, "the new account's mail never arrived") { events.count == 6 }

        // The outbound side has no "active" member yet: tested (a test email to itself, which the pool
        // then ingests), then activated.
        #expect(try await mailpool("accounts", "test", "New", "--outbound").status == 0)
        #expect(try await mailpool("accounts", "activate", "New", "--outbound").status == 0)
        #expect(try AccountCatalog(path: fixture.accountsPath).account(named: "New")?.outbound?.active == true)

        // The old account deactivated: new mail to it stays in its Inbox. Two more messages to the new
        // account, the second seeded after the first arrived, prove a whole poll interval went by.
        #expect(try await mailpool("accounts", "deactivate", "Old", "--inbound").status == 0)
        try await fixture.sandbox.seed(SeedMessage(subject: "old late", to: [old]), to: old)
        for index in 0..<2 {
            try await fixture.sandbox.seed(SeedMessage(subject: "new late \(index)", to: [new]), to: new)
            try await eventually(within: 120, "the new account's late mail never arrived") {
                events.all.contains { $0.subject == "new late \(index)" }
            }
        }
        try await fixture.drain(events)
        #expect(!events.all.contains { $0.subject == "old late" })
        #expect(try await fixture.sandbox.count(old, folder: "inbox").total == 1)

        // A failing test is recorded and refuses activation, with its reason; --force overrides.
        #expect(try await mailpool("accounts", "test", "Broken", "--inbound").status != 0)
        run = try await mailpool("accounts", "activate", "Broken", "--inbound")
        #expect(run.status != 0 && run.output.contains("failed") && run.output.contains("AADSTS7000222"), "\(run.output)")
        #expect(!run.output.contains(PipelineFixture.expiredSecret))
        #expect(try await mailpool("accounts", "list").output.contains("test FAILED"))
        #expect(try await mailpool("accounts", "activate", "Broken", "--inbound", "--force").status == 0)
        let results = try String(contentsOfFile: fixture.accountsPath + ".tests", encoding: .utf8)
        #expect(!results.contains(PipelineFixture.secret) && !results.contains(PipelineFixture.expiredSecret))
        await fixture.stop()
    }
}
