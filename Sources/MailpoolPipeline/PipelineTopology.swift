import MailpoolAMQP

/// The queues and exchanges of the inbound pipeline.
public enum PipelineTopology {
    /// Jobs, dead jobs, and the inbound event exchange. No events queue: events go to the queues
    /// downstream systems bind, and an event no queue takes fails its job (the publish is mandatory).
    public static let inbound = Topology(
        exchanges: [ExchangeSpec(name: PipelineNames.inboundExchange, kind: .topic)],
        queues: [
            .quorum(PipelineNames.fetchQueue, deadLetterExchange: "", deadLetterRoutingKey: PipelineNames.fetchDeadQueue,
                    deliveryLimit: 20),
            .quorum(PipelineNames.fetchDeadQueue),
        ])

    /// The default events queue, bound to every inbound event. Declared only when asked for
    /// (`fetch-worker --default-events-queue`, as the quick start does): a queue that nobody consumes
    /// would grow until the broker's alarms block every publisher.
    public static let defaultEventsQueue = Topology(
        queues: [.quorum(PipelineNames.inboundQueue)],
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
