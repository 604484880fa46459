import MailpoolAMQP

/// The queues and exchanges of the inbound pipeline.
public enum PipelineTopology {
    /// Jobs, dead jobs, and the inbound event exchange with its default queue.
    public static let inbound = Topology(
        exchanges: [ExchangeSpec(name: PipelineNames.inboundExchange, kind: .topic)],
        queues: [
            .quorum(PipelineNames.fetchQueue, deadLetterExchange: "", deadLetterRoutingKey: PipelineNames.fetchDeadQueue,
                    deliveryLimit: 20),
            .quorum(PipelineNames.fetchDeadQueue),
            .quorum(PipelineNames.inboundQueue),
        ],
        bindings: [BindingSpec(queue: PipelineNames.inboundQueue, exchange: PipelineNames.inboundExchange, routingKey: "#")])

    /// The mailbox's single-slot marker queue. A classic queue: it enforces the length of one exactly,
    /// which quorum queues do only approximately. `staleAfter` (ms) bounds how long a marker can block
    /// the mailbox if its job is lost.
    public static func pending(mailbox: String, staleAfterMilliseconds: Int) -> Topology {
        Topology(queues: [QueueSpec(name: PipelineNames.pendingQueue(mailbox: mailbox), arguments: [
            "x-queue-type": "classic", "x-max-length": 1, "x-overflow": "reject-publish",
            "x-message-ttl": .int(Int64(staleAfterMilliseconds)),
        ])])
    }
}
