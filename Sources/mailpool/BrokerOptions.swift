import ArgumentParser
import FoundationEssentials
import MailpoolAccounts
import MailpoolAMQP
import MailpoolCore

/// Broker options shared by every subcommand that talks to RabbitMQ.
struct BrokerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Broker URL(s), comma-separated for a cluster (default: $MAILPOOL_AMQP_URL, else the local broker).",
        valueName: "url"))
    var amqpURL: String?

    @Option(name: .long, help: "CA bundle (PEM) trusted for amqps:// brokers (default: the system store).")
    var amqpCAFile: String?

    /// Connection options; `name` shows in the broker's connection list. `$MAILPOOL_AMQP_USER_FILE` and
    /// `$MAILPOOL_AMQP_PASSWORD_FILE` name files (container secrets) whose content (newlines around it
    /// dropped) replaces the URLs' user name and password, so that no URL need carry them.
    func connectionOptions(name: String) throws -> AMQPConnectionOptions {
        let environment = ProcessInfo.processInfo.environment
        let urls = amqpURL ?? environment["MAILPOOL_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/%2f"
        var options = try AMQPConnectionOptions(urlList: urls, connectionName: name)
        let user = try Self.secretFile("MAILPOOL_AMQP_USER_FILE", environment)
        let password = try Self.secretFile("MAILPOOL_AMQP_PASSWORD_FILE", environment)
        options.urls = options.urls.map { url in
            var url = url
            if let user { url.user = user }
            if let password { url.password = password }
            return url
        }
        options.tls.caFile = amqpCAFile
        return options
    }

    /// The content of the file the variable `name` names, read as the accounts file's `{"file": …}`
    /// secrets are; nil when the variable is unset.
    private static func secretFile(_ name: String, _ environment: [String: String]) throws -> String? {
        guard let path = environment[name], !path.isEmpty else { return nil }
        let (secret, problem) = SecretReference.file(path).resolve(environment: environment)
        guard let secret else { throw ValidationError("\(name): \(problem ?? "cannot read \(path)")") }
        return secret.value
    }
}
