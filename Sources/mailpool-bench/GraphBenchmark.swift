import ArgumentParser
import Foundation
import GraphSandbox
import MailpoolCore
import MailpoolCurl
import MailpoolGraph

/// `mailpool-bench graph`: Graph calls per second through ``GraphClient`` against an in-process Graph
/// sandbox over loopback HTTP, with connection reuse, and the TCP connections each run opened. Pacing to
/// Exchange's per-mailbox quota is off (it would hold each mailbox to about 17 requests a second).
struct GraphBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph", abstract: "Graph client throughput against the Graph sandbox.")

    @Option(help: "Calls per operation.") var calls = 4000
    @Option(help: "Mailboxes the calls are spread over (each allows 4 concurrent requests).") var mailboxes = 8
    @Option(help: "MIME size of each message fetched with $value, in bytes.") var messageSize = 20 * 1024

    func run() async throws {
        let tenant = "bench-tenant", clientID = "bench-app", secret = "bench-secret"
        let addresses = (0..<mailboxes).map { "mailbox\($0)@bench.example" }
        let sandbox = GraphSandbox(seed: SandboxSeed(tenants: [.init(
            id: tenant, apps: [.init(clientId: clientID, secrets: [.init(value: secret)])],
            mailboxes: addresses.map { .init(address: $0) })]))
        var ids: [String: [String]] = [:]
        for address in addresses {
            for index in 0..<20 {
                let seeded = try await sandbox.seed(SeedMessage(
                    subject: "bench \(index)", from: EmailAddress("supplier@vendor.example"), to: [address],
                    body: String(repeating: "x", count: messageSize)), to: address)
                ids[address, default: []].append(seeded.id)
            }
        }
        let messageIDs = ids
        let running = try await sandbox.start()
        let engine = CurlEngine(name: "bench-graph")
        let client = GraphClient(
            app: GraphApp(tenantID: tenant, clientID: clientID, credential: .secret(Secret(secret))),
            cloud: GraphCloud(authority: running.baseURL, graph: running.baseURL, resource: "https://graph.microsoft.com"),
            context: GraphContext(engine: engine, pacing: nil))
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mailpool-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        var rows: [(String, Double, Int)] = []
        rows.append(try await measure("list unread Inbox ($top=10)", engine: engine, addresses: addresses) { address, _ in
            _ = try await client.unreadInboxMessages(mailbox: address, pageSize: 10)
        })
        rows.append(try await measure("$value MIME of \(messageSize / 1024) KB to a file", engine: engine, addresses: addresses) { address, call in
            let id = messageIDs[address]![call % 20]
            _ = try await client.downloadMIME(mailbox: address, messageID: id, to: "\(scratch)/\(call).eml")
        })
        rows.append(try await measure("sendMail (text, 1 recipient)", engine: engine, addresses: addresses) { address, call in
            try await client.sendMail(from: address, OutgoingMail(subject: "bench \(call)", body: "hello",
                                                                  to: [MailAddress("someone@elsewhere.example")]), saveToSentItems: false)
        })
        engine.shutdown()
        await running.stop()

        print("Graph client against the in-process Graph sandbox (HTTP/1.1 keep-alive on loopback), \(calls) calls per row, \(mailboxes * 4) in flight")
        print("operation                          | calls/s | TCP connections opened")
        print("-----------------------------------|---------|-----------------------")
        for (name, rate, connections) in rows {
            print(name.padding(toLength: 35, withPad: " ", startingAt: 0) + "| " + String(Int(rate)).leftPadded(7) + " | \(connections)")
        }
    }

    /// Runs `calls` calls, `mailboxes × 4` at a time, each mailbox getting its share.
    private func measure(_ name: String, engine: CurlEngine, addresses: [String],
                         _ call: @escaping @Sendable (String, Int) async throws -> Void) async throws -> (String, Double, Int) {
        let connectionsBefore = engine.connectionsOpened
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<calls {
                if index >= addresses.count * 4 { try await group.next() }
                group.addTask { try await call(addresses[index % addresses.count], index) }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (name, Double(calls) / seconds, engine.connectionsOpened - connectionsBefore)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
