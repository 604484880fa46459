/// Reads one batch from one mailbox: for each message, store its MIME, hand the event to the session
/// (which returns once the event is confirmed downstream), then settle the message on the server (mark
/// read and move to Deleted Items, or delete). Settling after delivery is what makes a crash at any
/// point lose nothing: an unsettled message is simply read again by the next job. Each message goes
/// through ``FetchSession/process(_:into:_:setAside:)``, so that one that keeps failing is set aside
/// instead of holding up the others.
public protocol MailboxFetcher: Sendable {
    /// Processes at most `batchSize` messages.
    func fetchBatch(_ session: FetchSession) async throws -> BatchResult
}

/// The folder messages that keep failing are moved to (Graph, IMAP4), created on first use.
public let quarantineFolderName = "mailpool-quarantine"
