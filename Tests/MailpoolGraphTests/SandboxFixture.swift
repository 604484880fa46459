import Foundation
import GraphSandbox
import MailpoolCore
import MailpoolCurl
import MailpoolGraph
import MailpoolTestSupport
import Testing

/// A Graph sandbox on an ephemeral loopback port, with one tenant holding apps for every case the
/// tests need, and clients pointed at it over real HTTP.
struct SandboxFixture {
    static let tenant = "11111111-2222-4333-8444-555555555555"
    static let goodApp = "aaaaaaaa-0000-4000-8000-000000000001"
    static let expiredApp = "aaaaaaaa-0000-4000-8000-000000000002"
    static let disabledApp = "aaaaaaaa-0000-4000-8000-000000000003"
    static let readOnlyApp = "aaaaaaaa-0000-4000-8000-000000000004"
    static let policyApp = "aaaaaaaa-0000-4000-8000-000000000005"
    static let certificateApp = "aaaaaaaa-0000-4000-8000-000000000006"
    static let secret = "s3cret~value.for-tests"
    static let expiredSecret = "old~secret.value-expired"
    static let mailbox = "coa@contoso.example"
    static let alias = "certificates@contoso.example"
    static let otherMailbox = "orders@contoso.example"
    static let onPremMailbox = "legacy@contoso.example"

    /// `MAILPOOL_GRAPH_TRANSPORT=https` runs the suite over HTTPS with HTTP/2, with the loopback
    /// certificate `deploy/local/start-rabbitmq.sh` makes (`MAILPOOL_TLS_CA` names its CA); plain
    /// HTTP/1.1 otherwise. The test command runs the suite both ways.
    static let tls: SandboxTLS? = ProcessInfo.processInfo.environment["MAILPOOL_GRAPH_TRANSPORT"] == "https"
        ? SandboxTLS(certificateFile: directory + "/server.pem", privateKeyFile: directory + "/server.key") : nil
    static let caFile = ProcessInfo.processInfo.environment["MAILPOOL_TLS_CA"] ?? "/var/tmp/mailpool/tls/ca.pem"
    private static var directory: String { (caFile as NSString).deletingLastPathComponent }

    let sandbox: GraphSandbox
    let running: RunningSandbox
    let cloud: GraphCloud
    let context: GraphContext

    init(tokenLifetime: Int = 3599, certificate: TestCertificate? = nil, retry: GraphRetryPolicy = GraphRetryPolicy(
        maxAttempts: 6, backoff: Backoff(initial: 0.05, maximum: 0.5)), pacing: RequestPacing? = .exchangeOnline) async throws {
        let apps: [SandboxSeed.App] = [
            .init(clientId: Self.goodApp, secrets: [.init(value: Self.secret)]),
            .init(clientId: Self.expiredApp, secrets: [.init(value: Self.expiredSecret, expired: true)]),
            .init(clientId: Self.disabledApp, secrets: [.init(value: Self.secret)], disabled: true),
            .init(clientId: Self.readOnlyApp, secrets: [.init(value: Self.secret)], permissions: ["Mail.Read"]),
            .init(clientId: Self.policyApp, secrets: [.init(value: Self.secret)], allowedMailboxes: [Self.otherMailbox]),
            .init(clientId: Self.certificateApp, secrets: [],
                  certificates: certificate.map { [.init(certificatePEM: $0.certificatePEM, publicKeyPEM: $0.publicKeyPEM)] }),
        ]
        let seed = SandboxSeed(
            tenants: [.init(id: Self.tenant, apps: apps, mailboxes: [
                .init(address: Self.mailbox, aliases: [Self.alias]), .init(address: Self.otherMailbox),
                .init(address: Self.onPremMailbox, restEnabled: false),
            ])],
            tokenLifetimeSeconds: tokenLifetime)
        sandbox = GraphSandbox(seed: seed)
        running = try await sandbox.start(tls: Self.tls)
        cloud = GraphCloud(authority: running.baseURL, graph: running.baseURL, resource: "https://graph.microsoft.com")
        context = GraphContext(engine: CurlEngine(name: "graph-tests"), retry: retry, pacing: pacing,
                               caFile: Self.tls == nil ? nil : Self.caFile)
    }

    func client(_ clientID: String = Self.goodApp, secret: String = Self.secret, tenant: String = Self.tenant) -> GraphClient {
        GraphClient(app: GraphApp(tenantID: tenant, clientID: clientID, credential: .secret(Secret(secret))),
                    cloud: cloud, context: context)
    }

    /// Seeds `count` plain unread messages into the mailbox.
    func seedMessages(_ count: Int, to mailbox: String = Self.mailbox, subject: String = "COA") async throws {
        for index in 0..<count {
            try await sandbox.seed(SeedMessage(subject: "\(subject) \(index)", from: EmailAddress("supplier@vendor.example"),
                                               to: [mailbox], body: "Certificate of analysis \(index)"), to: mailbox)
        }
    }

    func stop() async {
        context.engine.shutdown()
        await running.stop()
    }
}

/// A self-signed certificate and its RSA key made with openssl for the certificate-credential tests.
struct TestCertificate {
    let certificatePEM: String
    let privateKeyPEM: String
    let publicKeyPEM: String

    static func make() async throws -> TestCertificate {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailpool-cert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = directory.appendingPathComponent("key.pem").path
        let cert = directory.appendingPathComponent("cert.pem").path
        let pub = directory.appendingPathComponent("pub.pem").path
        try await run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=mailpool-test",
                "-keyout", key, "-out", cert)
        try await run("openssl", "x509", "-in", cert, "-pubkey", "-noout", "-out", pub)
        return TestCertificate(certificatePEM: try String(contentsOfFile: cert, encoding: .utf8),
                               privateKeyPEM: try String(contentsOfFile: key, encoding: .utf8),
                               publicKeyPEM: try String(contentsOfFile: pub, encoding: .utf8))
    }

    private static func run(_ arguments: String...) async throws {
        try #require(try await runCommand(arguments).status == 0, "\(arguments.joined(separator: " ")) failed")
    }
}

/// Expects `body` to throw a ``GraphError`` for which `matches` holds, and returns it.
@discardableResult
func expectGraphError(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation,
                      _ matches: (GraphError) -> Bool) async -> GraphError? {
    do {
        try await body()
        Issue.record("expected a GraphError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as GraphError {
        #expect(matches(error), "unexpected \(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected a GraphError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
