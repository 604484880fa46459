import Foundation
import GraphSandbox
import MailpoolCore
import MailpoolGraph
import Testing

@Suite struct TokenTests {
    @Test func concurrentCallersShareOneTokenRequest() async throws {
        let fixture = try await SandboxFixture()
        let client = fixture.client()
        try await withThrowingTaskGroup(of: AccessToken.self) { group in
            for _ in 0..<200 {
                group.addTask { try await fixture.context.tokens.token(for: client.app, cloud: client.cloud) }
            }
            var tokens = Set<String>()
            for try await token in group { tokens.insert(token.value.value) }
            #expect(tokens.count == 1)
        }
        #expect(await fixture.sandbox.statistics().tokensIssued == 1)
        #expect(await fixture.context.tokens.requestsSent == 1)
        await fixture.stop()
    }

    @Test func expiredTokenIsRefreshedBeforeUse() async throws {
        // 20 s, not less: a token is renewed half-way through so short a life, and on CI's loaded cores a
        // request can take seconds to reach the sandbox; it must still arrive before its token expires.
        let fixture = try await SandboxFixture(tokenLifetime: 20)
        let client = fixture.client()
        _ = try await client.inboxCounts(mailbox: SandboxFixture.mailbox)
        try await Task.sleep(for: .milliseconds(20_600))
        _ = try await client.inboxCounts(mailbox: SandboxFixture.mailbox)
        let stats = await fixture.sandbox.statistics()
        #expect(stats.tokensIssued == 2)
        #expect(stats.count("GET /v1.0/users/:user/mailFolders/:folder 401") == 0, "an expired token was sent")
        #expect(stats.count("GET /v1.0/users/:user/mailFolders/:folder 200") == 2)
        await fixture.stop()
    }

    @Test func unauthorizedTriggersOneRefreshAndOneRetry() async throws {
        let fixture = try await SandboxFixture()
        let client = fixture.client()
        _ = try await client.inboxCounts(mailbox: SandboxFixture.mailbox)
        await fixture.sandbox.revokeTokens()
        _ = try await client.inboxCounts(mailbox: SandboxFixture.mailbox)
        let stats = await fixture.sandbox.statistics()
        #expect(stats.tokensIssued == 2)
        #expect(stats.count("GET /v1.0/users/:user/mailFolders/:folder 401") == 1)
        #expect(stats.count("GET /v1.0/users/:user/mailFolders/:folder 200") == 2)
        await fixture.stop()
    }

    @Test func certificateCredentialGetsATokenAndAWrongKeyIsRefused() async throws {
        let certificate = try await TestCertificate.make()
        let fixture = try await SandboxFixture(certificate: certificate)
        let app = GraphApp(tenantID: SandboxFixture.tenant, clientID: SandboxFixture.certificateApp, credential: .certificate(
            ClientCertificate(certificatePEM: certificate.certificatePEM, privateKeyPEM: Secret(certificate.privateKeyPEM))))
        let client = GraphClient(app: app, cloud: fixture.cloud, context: fixture.context)
        #expect(try await client.inboxCounts(mailbox: SandboxFixture.mailbox).total == 0)

        let other = try await TestCertificate.make()
        let impostor = GraphApp(tenantID: SandboxFixture.tenant, clientID: SandboxFixture.certificateApp, credential: .certificate(
            ClientCertificate(certificatePEM: certificate.certificatePEM, privateKeyPEM: Secret(other.privateKeyPEM))))
        let freshCache = TokenCache(engine: fixture.context.engine, caFile: fixture.context.caFile)  // the shared cache already holds a token
        await expectGraphError({
            _ = try await freshCache.token(for: impostor, cloud: fixture.cloud)
        }) { if case .invalidClientCertificate = $0 { true } else { false } }
        await fixture.stop()
    }

    @Test func tokenEndpointErrorsAreTypedWithRemediesAndNoSecret() async throws {
        let fixture = try await SandboxFixture()
        let cases: [(GraphClient, String, (GraphError) -> Bool)] = [
            (fixture.client(SandboxFixture.expiredApp, secret: SandboxFixture.expiredSecret), "create a new secret",
             { if case .clientSecretExpired = $0 { true } else { false } }),
            (fixture.client(secret: "6f1c2d3e-0000-4000-8000-secret-id"), "not its Secret ID",
             { if case .invalidClientSecret = $0 { true } else { false } }),
            (fixture.client("bbbbbbbb-0000-4000-8000-000000000009"), "check the Application (client) ID",
             { if case .applicationNotFound = $0 { true } else { false } }),
            (fixture.client(tenant: "99999999-0000-4000-8000-000000000000"), "check the Directory (tenant) ID",
             { if case .tenantNotFound = $0 { true } else { false } }),
            (fixture.client(SandboxFixture.disabledApp), "must enable it",
             { if case .applicationDisabled = $0 { true } else { false } }),
        ]
        for (client, remedy, matches) in cases {
            let error = await expectGraphError({ _ = try await client.inboxCounts(mailbox: SandboxFixture.mailbox) }, matches)
            let text = "\(error.map { "\($0)" } ?? "")"
            #expect(text.contains(remedy), "\(text)")
            if case .secret(let secret) = client.app.credential {
                #expect(!text.contains(secret.value), "the secret leaked into: \(text)")
            }
        }
        await fixture.stop()
    }
}
