import Foundation
import MailpoolAccounts
import MailpoolCurl
import MailpoolGraph
import MailpoolNotifications
import MailpoolPipeline
import Synchronization
import Testing

/// A send that never left leaves its draft withdrawn, and a copy that finds only withdrawn drafts sends
/// at once. Before withdrawal, such a copy waited until the draft had settled: in a chaos run, the
/// notification worker on a stopped broker node held 30 drafts awaiting their mailbox's request limit,
/// and their redelivered copies waited 42 s.
@Suite struct WithdrawnDraftTests {
    @Test func aCopyFindingOnlyAWithdrawnDraftSendsAtOnce() async throws {
        let fixture = try await PipelineFixture(mailboxes: 2)
        try fixture.writeNotificationAccounts()
        let engine = CurlEngine(name: "test-withdrawal")
        fixture.track(engine)
        let clients = GraphClients(context: GraphContext(engine: engine, pacing: nil, requestTimeout: 5))
        // Settling takes two minutes: a copy that waited for the draft would end in OutcomePending.
        let sender = GraphNotificationSender(clients: clients, options: .init(sendWindow: 60, filingAllowance: 60))
        let validated = try NotificationValidator().validate(notification("withdrawn-1"), accounts: fixture.catalog()).get()
        guard case .graph(let settings) = validated.outbound.server else { Issue.record("not a Graph sender"); return }
        let client = clients.client(for: settings)

        // The delivery is taken back between the draft's creation and its send.
        let checks = Atomic<Int>(0)
        await #expect(throws: GraphError.withheld(operation: "POST send")) {
            try await sender.send(validated, resuming: false, stillHeld: { checks.add(1, ordering: .relaxed).newValue == 1 })
        }
        let left = try await client.messages(withIdempotencyKey: "withdrawn-1", mailbox: PipelineFixture.sender).messages
        #expect(left.count == 1 && left.allSatisfy { $0.isDraft && $0.isWithdrawn }, "\(left)")

        // The copy the broker delivers again.
        #expect(try await sender.send(validated, resuming: true, stillHeld: { true }) == .sent)
        #expect(await fixture.sandbox.sent(from: PipelineFixture.sender).count == 1)
        let after = try await client.messages(withIdempotencyKey: "withdrawn-1", mailbox: PipelineFixture.sender).messages
        #expect(after.count == 1 && !after.contains { $0.isWithdrawn }, "the withdrawn draft is deleted: \(after)")
        await fixture.stop()
    }
}
