import ArgumentParser
import Foundation
import MailpoolAMQP

/// Broker options shared by every subcommand that talks to RabbitMQ.
struct BrokerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Broker URL(s), comma-separated for a cluster (default: $MAILPOOL_AMQP_URL, else the local broker).",
        valueName: "url"))
    var amqpURL: String?

    @Option(name: .long, help: "CA bundle (PEM) trusted for amqps:// brokers (default: the system store).")
    var amqpCAFile: String?

    /// Connection options; `name` shows in the broker's connection list.
    func connectionOptions(name: String) throws -> AMQPConnectionOptions {
        let urls = amqpURL ?? ProcessInfo.processInfo.environment["MAILPOOL_AMQP_URL"]
            ?? "amqp://guest:guest@127.0.0.1:5672/%2f"
        var options = try AMQPConnectionOptions(urlList: urls, connectionName: name)
        options.tls.caFile = amqpCAFile
        return options
    }
}
