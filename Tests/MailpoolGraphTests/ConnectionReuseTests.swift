import MailpoolCurl
import Testing

/// The engine keeps its connections between bursts of requests. (libcurl's own cache size follows the
/// number of transfers in progress, so it closed most connections as a burst ended and opened them
/// again for the next: 66 new connections in 3 s under `mailpool-bench notifications`, each a TCP and,
/// against Graph, a TLS handshake.)
@Suite struct ConnectionReuseTests {
    @Test func burstsOfRequestsReuseTheConnectionsOfTheLastBurst() async throws {
        let fixture = try await SandboxFixture(pacing: nil)
        let engine = fixture.context.engine
        let request = HTTPRequest(url: fixture.running.baseURL + "/v1.0/users/\(SandboxFixture.mailbox)/messages", timeout: 30,
                                  caFile: SandboxFixture.tls == nil ? nil : SandboxFixture.caFile)
        for _ in 0..<3 {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<16 { group.addTask { _ = try await engine.perform(request) } }
                try await group.waitForAll()
            }
        }
        // 16 connections at most over HTTP/1.1 (the engine's limit per host), one over HTTP/2.
        #expect(engine.connectionsOpened <= (SandboxFixture.tls == nil ? 16 : 1))
        await fixture.stop()
    }
}
