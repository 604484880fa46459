/// Names of the exchanges, queues and locks the pipeline uses, and their declarations.
public enum PipelineNames {
    /// Fetch jobs, one per poll of a mailbox (quorum queue).
    public static let fetchQueue = "mailpool.fetch"
    /// Fetch jobs that failed too often or could not be read.
    public static let fetchDeadQueue = "mailpool.fetch.dead"
    /// `InboundMail` events, routing key `inbound.<account-slug>` (topic exchange).
    public static let inboundExchange = "mailpool.inbound"
    /// The default queue bound to every inbound event, declared only when asked for; downstream
    /// systems bind their own.
    public static let inboundQueue = "mailpool.inbound.events"
    /// Held by the active poller.
    public static let pollerLock = "mailpool.lock.poller"

    /// Holds at most one marker: present while a fetch job for the mailbox is outstanding.
    public static func pendingQueue(mailbox: String) -> String { "mailpool.pending.\(mailbox.lowercased())" }

    /// Held by the worker processing the mailbox.
    public static func mailboxLock(mailbox: String) -> String { "mailpool.lock.mailbox.\(mailbox.lowercased())" }
}
