import Foundation
import MailpoolAccounts
import MailpoolCore
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

    /// A Kubernetes ConfigMap or Secret volume: `accounts.json` → `..data/accounts.json`, `..data` →
    /// `..<timestamp>/`; an update writes a new timestamped directory and swaps the `..data` symlink.
    @Test func reloadFollowsAConfigMapSymlinkSwapAndARotatedSecretFile() throws {
        let volume = FileManager.default.temporaryDirectory.appendingPathComponent("configmap-\(UUID().uuidString)").path
        func publish(_ version: String, accounts: String, secret: String) throws {
            try FileManager.default.createDirectory(atPath: "\(volume)/..\(version)", withIntermediateDirectories: true)
            try accounts.write(toFile: "\(volume)/..\(version)/accounts.json", atomically: false, encoding: .utf8)
            try secret.write(toFile: "\(volume)/..\(version)/secret", atomically: false, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: "\(volume)/..data_tmp", withDestinationPath: "..\(version)")
            #expect(rename("\(volume)/..data_tmp", "\(volume)/..data") == 0)
        }
        let secret = #"{"file": "\#(volume)/secret"}"#
        let first = #"{"accounts": [{"name": "COA", "inbound": \#(graphSide(active: false, secret: secret))}]}"#
        try publish("2026_11_28_01", accounts: first, secret: "one\n")
        try FileManager.default.createSymbolicLink(atPath: "\(volume)/accounts.json", withDestinationPath: "..data/accounts.json")
        try FileManager.default.createSymbolicLink(atPath: "\(volume)/secret", withDestinationPath: "..data/secret")
        let catalog = try AccountCatalog(path: "\(volume)/accounts.json", checkInterval: .zero)
        func secretValue() -> String? {
            guard case .graph(let settings) = catalog.account(named: "COA")?.inbound?.server, case .secret(let value) = settings.credential else { return nil }
            return value.value
        }
        #expect(secretValue() == "one")

        // Same size and, within the clock's resolution, the same time: only the resolved inode differs.
        try publish("2026_11_28_02", accounts: first.replacingOccurrences(of: #""active": false"#, with: #""active": true "#), secret: "one\n")
        #expect(catalog.reloadIfChanged())
        #expect(catalog.account(named: "COA")?.inbound?.active == true)

        try publish("2026_11_28_03", accounts: first.replacingOccurrences(of: #""active": false"#, with: #""active": true "#), secret: "two\n")
        #expect(catalog.reloadIfChanged())
        #expect(secretValue() == "two")
        #expect(!catalog.reloadIfChanged())
    }

    /// Plain `http://` only to loopback, or to a host the operator names in `MAILPOOL_ALLOW_HTTP_HOSTS`
    /// (the sandbox in a compose network); any other host is still refused then.
    @Test func plainHTTPIsRefusedExceptToLoopback() throws {
        let side = { (url: String) in graphSide().replacingOccurrences(of: #""clientSecret""#, with: #""authority": "\#(url)", "graphBaseURL": "\#(url)", "clientSecret""#) }
        let path = try write(#"{"accounts": [{"name": "Clear", "inbound": \#(side("http://login.contoso.example"))}]}"#)
        #expect {
            _ = try AccountCatalog(path: path, environment: ["COA_SECRET": "s"])
        } throws: { error in
            "\(error)".contains("account 'Clear': inbound.authority: 'http://login.contoso.example' is not https://")
                && "\(error)".contains("inbound.graphBaseURL: 'http://login.contoso.example' is not https://")
        }
        for url in ["http://127.0.0.1:8080", "http://localhost:8080", "https://graph.contoso.example"] {
            let path = try write(#"{"accounts": [{"name": "Local", "inbound": \#(side(url))}]}"#)
            #expect(try AccountCatalog(path: path, environment: ["COA_SECRET": "s"]).accounts.count == 1)
        }
        let allowing = ["COA_SECRET": "s", "MAILPOOL_ALLOW_HTTP_HOSTS": "graph-sandbox, login.contoso.example"]
        #expect(try AccountCatalog(path: path, environment: allowing).accounts.count == 1)
        let other = try write(#"{"accounts": [{"name": "Other", "inbound": \#(side("http://graph.fabrikam.example"))}]}"#)
        #expect(throws: AccountsError.self) { try AccountCatalog(path: other, environment: allowing) }
    }

    @Test func secretsAreRedactedInDumpAndMirror() throws {
        let secret = Secret("s3cret-value")
        var dumped = ""
        dump(secret, to: &dumped)
        let path = try write(#"{"accounts": [{"name": "COA", "inbound": \#(graphSide())}]}"#)
        dump(try AccountCatalog(path: path, environment: ["COA_SECRET": "s3cret-value"]).accounts, to: &dumped)
        #expect(dumped.contains("COA"))
        #expect(!dumped.contains("s3cret"))
        #expect(Mirror(reflecting: secret).children.isEmpty)
        #expect(!"\(secret) \(String(reflecting: secret))".contains("s3cret"))
    }
}
