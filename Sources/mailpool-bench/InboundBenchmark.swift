import ArgumentParser
import Foundation
import GraphSandbox
import Logging
import MailpoolAMQP
import MailpoolAccounts
import MailpoolCurl
import MailpoolGraph
import MailpoolPipeline
import ServiceLifecycle
import Synchronization

/// `mailpool-bench inbound`: the whole inbound pipeline in one process (poller, one fetch worker, the
/// Graph sandbox) on a RabbitMQ virtual host of its own:
/// 1. messages per second with the sandbox's limits off, and Graph requests per ingested message;
/// 2. with the limits on (Exchange Online's 10,000 requests per 10 minutes per mailbox, compressed in
///    time to a `--window`-second window at the same rate), the share of each mailbox's quota the
///    pool uses, and how many requests were throttled.
struct InboundBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inbound", abstract: "Inbound pipeline throughput and quota use.")

    @Option(help: "Mailboxes for the throughput run.") var mailboxes = 20
    @Option(help: "Messages per mailbox for the throughput run.") var messages = 100
    @Option(help: "Body size of each message in bytes.") var messageSize = 20 * 1024
    @Option(help: "Share of messages carrying a 20 KB PDF attachment.") var attachmentShare = 0.4
    @Option(help: "Fetch worker concurrency.") var concurrency: UInt16 = 16
    @Option(help: "Mailboxes for the quota run.") var quotaMailboxes = 4
    @Option(help: "Seconds the quota run keeps the mailboxes busy.") var quotaSeconds = 40.0
    @Option(help: "The compressed quota window in seconds (10,000 requests per 600 s scaled to it).") var window = 30.0
    @Option(help: "RabbitMQ node for rabbitmqctl (creates the benchmark's virtual host).") var node = "rabbit@localhost"

    func run() async throws {
        let throughput = try await runPipeline(mailboxCount: mailboxes, perMailbox: messages, limits: nil, pacing: nil)
        let quotaRate = 10_000.0 / 600.0
        let perWindow = Int((quotaRate * window).rounded(.down))
        let pacing = RequestPacing(requestsPerWindow: perWindow, windowSeconds: window, utilization: 0.95, burst: 10)
        // Enough mail to keep each mailbox busy for quotaSeconds at ~3 requests per message.
        let quotaMessages = Int(quotaRate * quotaSeconds / 3)
        let quota = try await runPipeline(
            mailboxCount: quotaMailboxes, perMailbox: quotaMessages,
            limits: SandboxLimits(enabled: true, requestsPerTenMinutes: perWindow, requestWindowSeconds: window), pacing: pacing)

        print("Inbound pipeline: poller + 1 fetch worker (concurrency \(concurrency)) + Graph sandbox in one process, RabbitMQ on loopback")
        print(String(format: "%.0f %% of the messages carry an attachment", attachmentShare * 100))
        print("run                                   | messages | seconds | messages/s | Graph requests per message (listings apart) | 429s")
        print("--------------------------------------|----------|---------|------------|---------------------------------------------|-----")
        for (name, result) in [("\(mailboxes) mailboxes, limits off", throughput), ("\(quotaMailboxes) mailboxes, per-mailbox limits on", quota)] {
            print(name.padding(toLength: 38, withPad: " ", startingAt: 0) + "| \(String(result.messages).leftPadded(8)) | "
                  + String(format: "%7.1f", result.seconds) + " | " + String(format: "%10.0f", Double(result.messages) / result.seconds)
                  + " | " + String(format: "%30.2f (%.2f)", Double(result.requests) / Double(result.messages),
                                   Double(result.requests - result.listings) / Double(result.messages)) + " | \(result.throttled)")
        }
        let perMailboxRate = Double(quota.requests) / quota.seconds / Double(quotaMailboxes)
        print(String(format: "quota use with limits on: %.1f requests/s per mailbox = %.0f %% of the quota (%.2f/s), %d requests throttled",
                     perMailboxRate, 100 * perMailboxRate / quotaRate, quotaRate, quota.throttled))
    }

    struct Result {
        let messages: Int
        let seconds: Double
        let requests: Int
        /// Requests listing the Inbox (one per batch).
        let listings: Int
        let throttled: Int
    }

    private func runPipeline(mailboxCount: Int, perMailbox: Int, limits: SandboxLimits?, pacing: RequestPacing?) async throws -> Result {
        let addresses = (0..<mailboxCount).map { "bench\($0)@contoso.example" }
        let body = String(repeating: "x", count: messageSize)
        let pipeline = try await BenchPipeline(mailboxes: addresses, interval: 1, concurrency: concurrency, node: node, limits: limits,
                                               pacing: pacing) { sandbox in
            for address in addresses {
                for index in 0..<perMailbox {
                    // Spread evenly: message i carries one when the share's running total passes a whole number.
                    let attached = Int(Double(index + 1) * attachmentShare) > Int(Double(index) * attachmentShare)
                    try await sandbox.seed(SeedMessage(
                        subject: "bench \(index)", from: EmailAddress("lab@vendor.example"), to: [address], body: body,
                        attachments: attached ? [.init(name: "coa-\(index).pdf", contentType: "application/pdf", generatedSize: 20 * 1024)] : nil),
                        to: address)
                }
            }
        }
        let total = mailboxCount * perMailbox
        let started = ContinuousClock.now
        var received = 0
        for try await delivery in pipeline.events {
            delivery.ack()
            received += 1
            if received == total { break }
        }
        let elapsed = ContinuousClock.now - started
        let stats = await pipeline.sandbox.statistics()
        await pipeline.stop()
        let graphRequests = stats.requests.filter { $0.key.contains(" /v1.0/") }
        return Result(messages: total,
                      seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                      requests: graphRequests.values.reduce(0, +),
                      listings: graphRequests.filter { $0.key.hasPrefix("GET ") && $0.key.contains("/mailFolders/") && $0.key.contains("/messages ") }
                          .values.reduce(0, +),
                      throttled: graphRequests.filter { $0.key.hasSuffix(" 429") }.values.reduce(0, +))
    }
}
