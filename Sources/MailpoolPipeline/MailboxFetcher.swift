import MailpoolAccounts

/// Reads one batch from one mailbox: for each message, store its MIME, hand the event to `deliver`
/// (which returns once the event is confirmed downstream), then settle the message on the server (mark
/// read and move to Deleted Items, or delete). Settling after delivery is what makes a crash at any
/// point lose nothing: an unsettled message is simply read again by the next job.
public protocol MailboxFetcher: Sendable {
    /// Processes at most `batchSize` messages; returns how many, and whether more are waiting.
    func fetchBatch(account: EmailAccount, inbound: InboundConfiguration, store: InboundStore,
                    deliver: @Sendable (InboundMailEvent) async throws -> Void) async throws -> (processed: Int, more: Bool)
}
