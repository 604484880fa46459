import Foundation
import MailpoolAccounts
import Testing

@Suite struct AccountCatalogTests {
    static let tenant = "8f2c1d9e-4b7a-4c3e-9d21-5a6b7c8d9e0f"
    static let client = "3c9e2a71-6d54-4f08-b1a3-2e7f9c0d4b65"

    func write(_ json: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("accounts-\(UUID().uuidString).json").path
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func graphSide(mailbox: String = "coa@contoso.example", active: Bool = true, secret: String = #"{"env": "COA_SECRET"}"#) -> String {
        #"{"protocol": "GRAPH", "mailbox": "\#(mailbox)", "active": \#(active), "tenantId": "\#(Self.tenant)", "clientId": "\#(Self.client)", "clientSecret": \#(secret)}"#
    }

    @Test func validFileLoadsWithSecretsFromEnvironmentAndFile() throws {
        let secretFile = try write("from-a-file\n")
        let path = try write(#"""
        {"accounts": [
          {"name": "COA Graph", "useForNotification": true, "inbound": \#(graphSide()), "outbound": \#(graphSide(active: false))},
          {"name": "Legacy", "inbound": {"protocol": "IMAP4", "mailbox": "old@contoso.example", "host": "127.0.0.1", "port": 10993,
                                          "user": "old", "password": {"file": "\#(secretFile)"}, "active": false}}
        ]}
        """#)
        let catalog = try AccountCatalog(path: path, environment: ["COA_SECRET": "s3cret"])
        #expect(catalog.accounts.map(\.name) == ["COA Graph", "Legacy"])
        let coa = try #require(catalog.account(named: "COA Graph"))
        #expect(coa.inbound?.active == true && coa.outbound?.active == false && coa.useForNotification)
        #expect(coa.inbound?.server.protocolName == "GRAPH")
        guard case .graph(let graph) = coa.inbound?.server, case .secret(let secret) = graph.credential else {
            Issue.record("expected a GRAPH inbound with a secret")
            return
        }
        #expect(secret.value == "s3cret" && graph.authority == "https://login.microsoftonline.com")
        guard case .imap(let imap) = catalog.account(named: "Legacy")?.inbound?.server else {
            Issue.record("expected IMAP4")
            return
        }
        #expect(imap.password.value == "from-a-file" && imap.tls == .implicit && imap.port == 10993)
        #expect(catalog.defaultNotificationAccount?.name == "COA Graph")
        #expect(coa.slug == "coa-graph")
    }

    @Test func everyProblemIsReportedWithAccountAndField() throws {
        let path = try write(#"""
        {"accounts": [
          {"name": "A", "useForNotification": true, "inbound": {"protocol": "EWS", "mailbox": "a@x.example"}, "outbound": \#(graphSide())},
          {"name": "a", "inbound": {"protocol": "GRAPH", "mailbox": "not-an-address", "tenantId": "abc", "clientSecret": "x"}},
          {"name": "B", "useForNotification": true, "outbound": {"protocol": "GRAPH", "mailbox": "b@x.example", "clientId": "\#(Self.client)",
                                                                  "clientSecret": {"env": "MISSING"}}}
        ]}
        """#)
        #expect {
            _ = try AccountCatalog(path: path, environment: ["COA_SECRET": "s"])
        } throws: { error in
            let text = "\(error)"
            let expected = [
                "account 'A': inbound.protocol: 'EWS' is not one of GRAPH, IMAP4, POP3",
                "account 'a': name: used by another account",
                "account 'a': inbound.mailbox: 'not-an-address' is not an email address",
                "account 'B': outbound.tenantId: missing (required for GRAPH)",
                "account 'B': outbound.clientSecret: environment variable MISSING is not set",
                "are all marked useForNotification: set defaultNotificationAccount",
            ]
            for line in expected where !text.contains(line) { Issue.record("missing: \(line)\nin: \(text)") }
            return !text.contains("s3cret")
        }
    }

    @Test func malformedGUIDAndMissingClientAreNamed() throws {
        let path = try write(#"{"accounts": [{"name": "G", "inbound": {"protocol": "GRAPH", "mailbox": "g@x.example", "tenantId": "12345", "clientSecret": "x"}}]}"#)
        #expect {
            _ = try AccountCatalog(path: path)
        } throws: { error in
            "\(error)".contains("account 'G': inbound.tenantId: '12345' is not a GUID")
                && "\(error)".contains("account 'G': inbound.clientId: missing (required for GRAPH)")
        }
    }

    @Test func changesAreReloadedAndBadEditsKeepTheLastGoodAccounts() throws {
        let path = try write(#"{"accounts": [{"name": "COA", "inbound": \#(graphSide(active: false))}]}"#)
        let catalog = try AccountCatalog(path: path, environment: ["COA_SECRET": "s"], checkInterval: .zero)
        #expect(catalog.account(named: "COA")?.inbound?.active == false)
        #expect(!catalog.reloadIfChanged())

        try #"{"accounts": [{"name": "COA", "inbound": \#(graphSide(active: true))}, {"name": "New", "inbound": \#(graphSide(mailbox: "new@contoso.example"))}]}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(catalog.reloadIfChanged())
        #expect(catalog.account(named: "COA")?.inbound?.active == true)
        #expect(catalog.accounts.count == 2)

        try #"{"accounts": [{"name": "COA"}]}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(!catalog.reloadIfChanged())
        #expect(catalog.accounts.count == 2)
    }
}
