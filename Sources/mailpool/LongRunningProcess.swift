import FoundationEssentials
import Logging
import MailpoolAccounts
import MailpoolAMQP
import MailpoolOperations
import ServiceLifecycle
import UnixSignals

/// What the poller and the workers share around their services: logs, metrics and health (ready once
/// the accounts are valid, the broker connected and the topology declared), and a graceful stop on
/// SIGTERM or SIGINT.
struct LongRunningProcess {
    let name: String
    let operations: OperationsOptions
    let accounts: AccountsOptions
    let broker: BrokerOptions
    let topology: Topology

    /// Runs the services `make` builds until a signal stops them gracefully.
    func run(_ make: (AMQPConnection, AccountCatalog) throws -> [any Service]) async throws {
        let readiness = Readiness()
        let server = try operations.start(readiness: readiness)
        defer { server?.stop() }
        let catalog = try accounts.catalog()
        readiness.set(.accountsValid)
        // Named so that `mailpool status` (and the broker's UI) can tell the processes apart.
        let connectionName = "mailpool-\(name) (\(ProcessInfo.processInfo.hostName) pid \(ProcessInfo.processInfo.processIdentifier))"
        let connection = try await AMQPConnection.connect(try broker.connectionOptions(name: connectionName))
        readiness.watchBroker { connection.isConnected }
        try await connection.declare(topology)
        readiness.set(.topologyDeclared)
        var configuration = ServiceGroupConfiguration(services: try make(connection, catalog), gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: Logger(label: "mailpool.\(name)"))
        configuration.maximumGracefulShutdownDuration = .milliseconds(Int(operations.shutdownGrace * 1000))
        try await ServiceGroup(configuration: configuration).run()
        await connection.close()
    }
}
