import FoundationEssentials
import MailpoolAccounts

/// What a ``MailboxFetcher`` works with for one batch: the account, the store, and the worker's hooks
/// for delivering events, setting messages aside and noticing deactivation.
public struct FetchSession: Sendable {
    public let account: EmailAccount
    public let inbound: InboundConfiguration
    public let store: InboundStore
    let attempts: MessageAttempts
    /// Failures after which a message is set aside.
    let quarantineAfter: Int
    let publishMail: @Sendable (InboundMailEvent) async throws -> Void
    let publishQuarantined: @Sendable (InboundQuarantinedEvent) async throws -> Void
    /// Why the batch must stop before the next message is touched or settled, if it must.
    let interruption: @Sendable () -> FetchInterruption?

    /// A session for one batch. `deliver` and `quarantined` publish the events and return once they are
    /// confirmed; `interruption` is asked before each message and before each settling.
    public init(account: EmailAccount, inbound: InboundConfiguration, store: InboundStore, quarantineAfter: Int = 3,
                deliver: @escaping @Sendable (InboundMailEvent) async throws -> Void,
                quarantined: @escaping @Sendable (InboundQuarantinedEvent) async throws -> Void,
                interruption: @escaping @Sendable () -> FetchInterruption? = { nil }) {
        self.account = account
        self.inbound = inbound
        self.store = store
        self.attempts = MessageAttempts(store: store)
        self.quarantineAfter = quarantineAfter
        self.publishMail = deliver
        self.publishQuarantined = quarantined
        self.interruption = interruption
    }

    /// Hands the event downstream; returns once it is confirmed. An event already confirmed for this
    /// message, whose settling then failed, is not published again; one whose earlier publish went
    /// unconfirmed is published again as a ``InboundMailEvent/possibleRepeat``.
    public func deliver(_ event: InboundMailEvent) async throws {
        guard !attempts.isDelivered(event.dedupeKey) else { return }
        // A job handed back meanwhile has lost its mailbox lock: the job's next reader publishes.
        if let interruption = interruption() { throw interruption }
        var event = event
        if attempts.wasPublishing(event.dedupeKey) {
            event.possibleRepeat = true
        } else {
            attempts.markPublishing(event.dedupeKey)
        }
        try await publishMail(event)
        attempts.markDelivered(event.dedupeKey)
    }

    /// Runs `settle` (mark read and move, flag, delete) unless the batch was interrupted meanwhile
    /// (``FetchInterruption``), which then ends it.
    public func settle(_ settle: () async throws -> Void) async throws {
        if let interruption = interruption() { throw interruption }
        try await settle()
    }

    /// True when the message was set aside for good and is to be skipped (POP3, which leaves it where it is).
    public func isQuarantined(_ dedupeKey: String) -> Bool {
        attempts.isQuarantined(dedupeKey)
    }

    /// Processes one message of the batch. A failure that belongs to the message (its download fails
    /// or times out, its MIME cannot be read, Graph answers 5xx or 404 for it) is counted and the batch
    /// goes on; at the ``quarantineAfter``-th failure `setAside` moves it out of the way (returning
    /// where it is now) and an ``InboundQuarantinedEvent`` is published. Any other failure (the
    /// account, the server, the store, deactivation) ends the batch. Two message failures in a row
    /// end it too: that is more likely the server than two bad messages.
    public func process(_ message: MessageReference, into result: inout BatchResult, _ work: () async throws -> Void,
                        setAside: () async throws -> String) async throws {
        if let interruption = interruption() { throw interruption }
        do {
            try await work()
            attempts.clear(message.dedupeKey)
            result.processed += 1
            result.consecutiveFailures = 0
        } catch {
            guard FetchFailureScope(error, store: store) == .message else { throw error }
            let failures = attempts.recordFailure(message.dedupeKey)
            guard failures >= quarantineAfter else {
                result.failed += 1
                result.consecutiveFailures += 1
                if result.consecutiveFailures >= 2 { throw error }
                return
            }
            let location = try await setAside()
            try await publishQuarantined(InboundQuarantinedEvent(
                dedupeKey: message.dedupeKey, account: account.name, mailbox: inbound.mailbox, protocol: inbound.server.protocolName,
                graphID: message.graphID, serverID: message.serverID, location: location, reason: "\(error)", attempts: failures,
                quarantinedAt: Date()))
            attempts.markQuarantined(message.dedupeKey)
            result.quarantined += 1
            result.consecutiveFailures = 0
        }
    }
}

/// Names one message of a batch.
public struct MessageReference: Sendable {
    public var dedupeKey: String
    public var graphID: String?
    /// UID (IMAP4) or UIDL (POP3).
    public var serverID: String?

    public init(dedupeKey: String, graphID: String? = nil, serverID: String? = nil) {
        self.dedupeKey = dedupeKey
        self.graphID = graphID
        self.serverID = serverID
    }
}

/// What a batch did.
public struct BatchResult: Sendable, Equatable {
    /// Messages delivered and settled.
    public var processed = 0
    /// Messages that failed this time and will be tried again.
    public var failed = 0
    /// Messages set aside.
    public var quarantined = 0
    /// More mail waits than the batch took.
    public var more = false
    var consecutiveFailures = 0

    public init() {}
}

/// Why a batch stopped early although nothing failed.
public enum FetchInterruption: Error, CustomStringConvertible {
    /// The accounts file made the inbound side inactive (or removed it) during the batch.
    case deactivated
    /// The job's delivery is no longer held (the worker's connection to the broker was lost): the
    /// broker hands the job to another worker, which must not find this one still settling.
    case released

    public var description: String {
        switch self {
        case .deactivated: "the inbound side was deactivated"
        case .released: "the job was handed back to the broker"
        }
    }
}
