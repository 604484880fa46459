import ArgumentParser
import FoundationEssentials
import MailpoolAMQP
import MailpoolAccounts
import MailpoolCurl
import MailpoolNotifications
import MailpoolPipeline

/// `mailpool status`: the pool at a glance, from any machine that reaches the broker: every mailpool
/// queue (ready, unacked, consumers, oldest message), the dead letters by reason, the leading poller
/// and its standbys, and per account the inbound side (from the poller's state) and the outbound side
/// (active or not, the latest dead letter).
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Shows the pool: queues, dead letters, pollers, accounts.")

    @OptionGroup var broker: BrokerOptions
    @OptionGroup var accounts: AccountsOptions
    @Option(help: "RabbitMQ's management API (default: $MAILPOOL_MANAGEMENT_URL, else http://<broker user:password@host>:15672).")
    var managementURL: String?
    @Flag(help: "Print JSON instead of tables.") var json = false
    @Option(help: "Refresh every N seconds until interrupted.") var watch: Double?

    func run() async throws {
        let options = try broker.connectionOptions(name: "mailpool-status")
        let url = options.urls[0]
        let management = managementURL ?? ProcessInfo.processInfo.environment["MAILPOOL_MANAGEMENT_URL"]
            ?? "http://\(url.user):\(url.password)@\(url.host):15672"
        let catalog = try accounts.catalog()
        let connection = try await AMQPConnection.connect(options)
        let engine = CurlEngine(name: "mailpool-status")
        defer { engine.shutdown() }
        let reader = PoolStatusReader(connection: connection, management: ManagementAPI(base: management, vhost: url.vhost, engine: engine),
                                      catalog: catalog)
        repeat {
            let status = try await reader.read()
            if watch != nil { print("\u{1B}[2J\u{1B}[H", terminator: "") }
            print(json ? try status.json() : status.table())
            if let watch { try await Task.sleep(for: .milliseconds(Int(watch * 1000))) }
        } while watch != nil
        await connection.close()
    }
}
