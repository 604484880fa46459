import ArgumentParser
import Foundation
import GraphSandbox
import MailpoolPipeline

/// `mailpool-bench fairness`: one mailbox flooded with `--flood` messages and `--quiet` mailboxes that
/// each receive a message every half interval while the flood drains, through the whole inbound
/// pipeline in one process (poller, one fetch worker, the sandbox, RabbitMQ on loopback). Prints how
/// long the flood took, one batch's time, and how long the quiet mailboxes' messages waited (the age
/// of the oldest unfetched one): fairness means about one interval plus one batch, not the flood.
struct FairnessBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fairness", abstract: "Quiet mailboxes' wait while a flooded one drains.")

    @Option(help: "Messages waiting in the flooded mailbox.") var flood = 5_000
    @Option(help: "Quiet mailboxes.") var quiet = 50
    @Option(help: "Poll interval of every mailbox, in seconds.") var interval = 10
    @Option(help: "Fetch worker concurrency.") var concurrency: UInt16 = 8
    @Option(help: "RabbitMQ node for rabbitmqctl.") var node = "rabbit@localhost"

    func run() async throws {
        let flooded = "flooded@contoso.example"
        let quietBoxes = (0..<quiet).map { "quiet\($0)@contoso.example" }
        let pipeline = try await BenchPipeline(mailboxes: [flooded] + quietBoxes, interval: interval, concurrency: concurrency, node: node) { sandbox in
            for index in 0..<flood {
                try await sandbox.seed(SeedMessage(subject: "flood \(index)", to: [flooded], body: String(repeating: "x", count: 4096)), to: flooded)
            }
        }
        let start = Date()
        // Every half interval, one message into each quiet mailbox, its seeding time in the subject.
        let feeder = Task {
            while !Task.isCancelled {
                for mailbox in quietBoxes {
                    try await pipeline.sandbox.seed(SeedMessage(subject: "quiet \(Date().timeIntervalSince1970)", to: [mailbox]), to: mailbox)
                }
                try await Task.sleep(for: .seconds(Double(interval) / 2))
            }
        }
        var floodDone = 0
        var waits: [Double] = []
        var drained: Double?
        for try await delivery in pipeline.events {
            delivery.ack()
            let event = try JSONDecoder.iso8601.decode(InboundMailEvent.self, from: Data(delivery.body))
            if event.subject.hasPrefix("flood") {
                floodDone += 1
                if floodDone == flood { drained = Date().timeIntervalSince(start) }
            } else if let seeded = Double(event.subject.dropFirst("quiet ".count)), drained == nil {
                waits.append(Date().timeIntervalSince1970 - seeded)
            }
            if drained != nil { break }
        }
        feeder.cancel()
        await pipeline.stop()
        let sorted = waits.sorted()
        let floodSeconds = drained ?? 0
        print("Fairness: 1 mailbox with \(flood) messages, \(quiet) quiet mailboxes receiving one every \(Double(interval) / 2) s, interval \(interval) s, "
              + "1 fetch worker (concurrency \(concurrency)), batches of 50")
        print(String(format: "flood drained in %.1f s: %.2f s per batch of 50", floodSeconds, floodSeconds / (Double(flood) / 50)))
        print(String(format: "quiet messages fetched meanwhile: %d; wait from arrival to event: median %.1f s, max %.1f s (the oldest unfetched quiet message's age)",
                     sorted.count, sorted.isEmpty ? 0 : sorted[sorted.count / 2], sorted.last ?? 0))
    }
}
