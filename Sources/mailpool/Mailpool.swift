import ArgumentParser

/// The `mailpool` command: one executable, a subcommand per process kind.
@main
struct Mailpool: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailpool",
        abstract: "Moves email between Microsoft 365 mailboxes and the systems that depend on them, through RabbitMQ.",
        version: "mailpool 0.5.0",
        subcommands: [BrokerCheckCommand.self, AccountsCommand.self, PollerCommand.self, FetchWorkerCommand.self,
                      NotifyCommand.self, NotificationWorkerCommand.self, DeadLetterCommand.self, StatusCommand.self, HealthCommand.self]
    )
}
