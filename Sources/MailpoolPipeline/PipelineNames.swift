/// Names of the exchanges, queues and locks the pipeline uses. None is per mailbox: the broker holds
/// the same queues for 10 mailboxes as for 10,000.
public enum PipelineNames {
    /// Fetch jobs, one per poll of a mailbox and its continuations (quorum queue).
    public static let fetchQueue = "mailpool.fetch"
    /// Fetch jobs that failed too often or could not be read.
    public static let fetchDeadQueue = "mailpool.fetch.dead"
    /// Workers' reports that a mailbox's job chain ended (done, or resting after a failure); read by
    /// the leading poller.
    public static let fetchReportsQueue = "mailpool.fetch.reports"
    /// The leading poller's state (which mailboxes have a job out, which rest until when): one message,
    /// the latest, so that a standby taking over knows it.
    public static let pollerStateQueue = "mailpool.poller.state"
    /// `InboundMail` events, routing key `inbound.<account-slug>` (topic exchange).
    public static let inboundExchange = "mailpool.inbound"
    /// The default queue bound to every inbound event, declared only when asked for; downstream
    /// systems bind their own.
    public static let inboundQueue = "mailpool.inbound.events"
    /// Held by the active poller.
    public static let pollerLock = "mailpool.lock.poller"
    /// The pool-wide lock a fetch worker holds on a mailbox while a job reads it (an exclusive queue,
    /// which the broker deletes with its connection): as many exist as jobs run, whatever the number
    /// of mailboxes.
    public static func mailboxLock(_ mailbox: String) -> String { "mailpool.lock.mailbox.\(mailbox.lowercased().prefix(200))" }
}
