import GraphSandbox
import MailpoolCore
import MailpoolGraph
import Testing

@Suite struct GraphErrorTests {
    @Test func mailboxErrorsAreTypedWithRemedies() async throws {
        let fixture = try await SandboxFixture()
        let error = await expectGraphError({ _ = try await fixture.client().inboxCounts(mailbox: SandboxFixture.alias) }) {
            $0 == .invalidMailbox(mailbox: SandboxFixture.alias)
        }
        #expect("\(error!)".contains("primary address, not an alias"))

        await expectGraphError({ _ = try await fixture.client().inboxCounts(mailbox: SandboxFixture.onPremMailbox) }) {
            $0 == .mailboxNotEnabled(mailbox: SandboxFixture.onPremMailbox)
        }
        let consent = await expectGraphError({
            try await fixture.client(SandboxFixture.readOnlyApp).markRead(mailbox: SandboxFixture.mailbox, messageID: "x")
        }) { if case .accessDenied = $0 { true } else { false } }
        #expect("\(consent!)".contains("grant admin consent"))
        await expectGraphError({
            _ = try await fixture.client(SandboxFixture.policyApp).inboxCounts(mailbox: SandboxFixture.mailbox)
        }) { if case .accessDenied = $0 { true } else { false } }
        #expect(try await fixture.client(SandboxFixture.policyApp).inboxCounts(mailbox: SandboxFixture.otherMailbox).total == 0)
        await fixture.stop()
    }

    @Test func throttledRequestWaitsForRetryAfter() async throws {
        let fixture = try await SandboxFixture()
        let client = fixture.client()
        _ = try await fixture.context.tokens.token(for: client.app, cloud: client.cloud)
        await fixture.sandbox.setFaults(SandboxFaults(script: [.init(status: 429, retryAfterSeconds: 2)]))
        let clock = ContinuousClock()
        let start = clock.now
        _ = try await client.inboxCounts(mailbox: SandboxFixture.mailbox)
        #expect(clock.now - start >= .seconds(2))
        let stats = await fixture.sandbox.statistics()
        #expect(stats.count("GET /v1.0/users/:user/mailFolders/:folder 429") == 1)
        #expect(stats.count("GET /v1.0/users/:user/mailFolders/:folder 200") == 1)
        await fixture.stop()
    }

    @Test func unavailableAndDroppedResponsesAreRetried() async throws {
        // 12 attempts: with 35 % of answers failing, 40 calls all succeed but for a chance of about 1 in 7,000.
        let fixture = try await SandboxFixture(retry: GraphRetryPolicy(maxAttempts: 12, backoff: Backoff(initial: 0.02, maximum: 0.2)))
        try await fixture.seedMessages(3)
        await fixture.sandbox.setFaults(SandboxFaults(script: [.init(status: 503), .init(drop: true), .init(status: 504)]))
        let page = try await fixture.client().unreadInboxMessages(mailbox: SandboxFixture.mailbox)
        #expect(page.messages.count == 3)
        await fixture.sandbox.setFaults(SandboxFaults(serviceUnavailableRate: 0.3, throttleRate: 0.05))
        for _ in 0..<40 {
            #expect(try await fixture.client().inboxCounts(mailbox: SandboxFixture.mailbox).unread == 3)
        }
        await fixture.stop()
    }

    @Test func persistentThrottlingSurfacesAsThrottled() async throws {
        let fixture = try await SandboxFixture(retry: GraphRetryPolicy(maxAttempts: 2, maxRetryAfter: 5))
        await fixture.sandbox.setFaults(SandboxFaults(throttleRate: 1, throttleRetryAfterSeconds: 1))
        await expectGraphError({ _ = try await fixture.client().inboxCounts(mailbox: SandboxFixture.mailbox) }) {
            $0 == .throttled(retryAfter: 1)
        }
        await fixture.stop()
    }

    @Test func perMailboxLimitKeepsTheClientWithinFourConcurrentRequests() async throws {
        let fixture = try await SandboxFixture()
        try await fixture.seedMessages(2)
        await fixture.sandbox.setLimits(SandboxLimits(enabled: true))
        await fixture.sandbox.setFaults(SandboxFaults(slowRate: 1, slowMilliseconds: 20))
        let client = fixture.client()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<40 {
                group.addTask { _ = try await client.inboxCounts(mailbox: SandboxFixture.mailbox) }
            }
            try await group.waitForAll()
        }
        let stats = await fixture.sandbox.statistics()
        #expect(stats.requests.keys.filter { $0.hasSuffix(" 429") }.isEmpty, "\(stats.requests)")
        #expect(stats.count("GET /v1.0/users/:user/mailFolders/:folder 200") == 40)
        await fixture.stop()
    }
}

@Suite struct PacingTests {
    /// The sandbox allows 40 requests per 4 s window (Exchange Online's rate, time-compressed); paced at
    /// 90 % of that with a burst of 2 (2 + 36 ≤ 40 in any window), 60 calls on one mailbox never see a
    /// 429 and take the time the pace implies.
    @Test func pacingKeepsAMailboxUnderItsRequestQuota() async throws {
        let fixture = try await SandboxFixture(pacing: RequestPacing(requestsPerWindow: 40, windowSeconds: 4, utilization: 0.9, burst: 2))
        await fixture.sandbox.setLimits(SandboxLimits(enabled: true, requestsPerTenMinutes: 40, requestWindowSeconds: 4))
        let client = fixture.client()
        _ = try await fixture.context.tokens.token(for: client.app, cloud: client.cloud)
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<60 { group.addTask { _ = try await client.inboxCounts(mailbox: SandboxFixture.mailbox) } }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - start
        let stats = await fixture.sandbox.statistics()
        #expect(stats.requests.keys.filter { $0.hasSuffix(" 429") }.isEmpty, "\(stats.requests)")
        #expect(elapsed >= .seconds(6), "60 requests at 9/s after a burst of 2 take about 6.4 s, took \(elapsed)")
        await fixture.stop()
    }
}
