import ArgumentParser
import Logging
import MailpoolAMQP
import MailpoolCurl
import MailpoolGraph
import MailpoolPipeline
import ServiceLifecycle

/// `mailpool poller`: publishes fetch jobs for the active inbound accounts (one replica leads).
struct PollerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "poller", abstract: "Publishes one fetch job per active inbound mailbox.")

    @OptionGroup var broker: BrokerOptions
    @OptionGroup var accounts: AccountsOptions
    @OptionGroup var operations: OperationsOptions
    @Option(help: "Seconds a mailbox's job may stay out before it is taken as lost and the mailbox polled again.")
    var lease = 1800.0
    @Option(help: "Seconds a poller that takes the lead waits for the reports of the jobs its predecessor left out before it polls those mailboxes again.")
    var takeoverGrace = 30.0

    func validate() throws {
        guard lease > 0 else { throw ValidationError("--lease must be positive") }
        guard takeoverGrace > 0, takeoverGrace <= lease else { throw ValidationError("--takeover-grace must be positive and at most --lease") }
    }

    func run() async throws {
        try await LongRunningProcess(name: "poller", operations: operations, accounts: accounts, broker: broker,
                                     topology: PipelineTopology.inbound).run { connection, catalog in
            [Poller(connection: connection, catalog: catalog, options: .init(leaseSeconds: lease, takeoverGraceSeconds: takeoverGrace))]
        }
    }
}

/// `mailpool fetch-worker`: reads mailboxes for fetch jobs and publishes InboundMail events.
struct FetchWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fetch-worker", abstract: "Fetches inbound mail for the poller's jobs.")

    @OptionGroup var broker: BrokerOptions
    @OptionGroup var accounts: AccountsOptions
    @Option(help: "Directory of the inbound store (may be a shared volume).") var store = "inbound-store"
    @Option(help: "Jobs processed at once.") var concurrency: UInt16 = 8
    @Option(help: "Failures after which a message is set aside (moved to mailpool-quarantine, or skipped on POP3).")
    var quarantineAfter = 3
    @Flag(help: "Declare the default events queue mailpool.inbound.events, bound to every event (only if something consumes it).")
    var defaultEventsQueue = false
    @OptionGroup var operations: OperationsOptions

    func validate() throws {
        guard concurrency > 0 else { throw ValidationError("--concurrency must be at least 1") }
        guard quarantineAfter > 0 else { throw ValidationError("--quarantine-after must be at least 1") }
    }

    func run() async throws {
        let context = GraphContext()
        defer { context.engine.shutdown() }
        let store = try InboundStore(root: self.store)
        try await LongRunningProcess(name: "fetch-worker", operations: operations, accounts: accounts, broker: broker,
                                     topology: PipelineTopology.inbound).run { connection, catalog in
            [FetchWorker(
                connection: connection, catalog: catalog, store: store,
                fetchers: ["GRAPH": GraphMailboxFetcher(clients: GraphClients(context: context)),
                           "IMAP4": IMAPMailboxFetcher(engine: context.engine), "POP3": POP3MailboxFetcher(engine: context.engine)],
                options: .init(concurrency: concurrency, quarantineAfter: quarantineAfter, defaultEventsQueue: defaultEventsQueue))]
        }
    }
}
