import MailpoolAMQP

/// The queues and exchanges of the inbound pipeline.
public enum PipelineTopology {
    /// Jobs, dead jobs, reports, the poller's state, and the inbound event exchange. No events queue:
    /// events go to the queues downstream systems bind, and an event no queue takes fails its job (the
    /// publish is mandatory).
    public static let inbound = Topology(
        exchanges: [ExchangeSpec(name: PipelineNames.inboundExchange, kind: .topic)],
        queues: [
            .quorum(PipelineNames.fetchQueue, deadLetterExchange: "", deadLetterRoutingKey: PipelineNames.fetchDeadQueue,
                    deliveryLimit: 20),
            .quorum(PipelineNames.fetchDeadQueue),
            .quorum(PipelineNames.fetchReportsQueue),
            // Last value only: a classic queue of length one that drops the older message.
            QueueSpec(name: PipelineNames.pollerStateQueue, arguments: [
                "x-queue-type": "classic", "x-max-length": 1, "x-overflow": "drop-head",
            ]),
        ])

    /// The default events queue, bound to every inbound event. Declared only when asked for
    /// (`fetch-worker --default-events-queue`, as the quick start does): a queue that nobody consumes
    /// would grow until the broker's alarms block every publisher.
    public static let defaultEventsQueue = Topology(
        queues: [.quorum(PipelineNames.inboundQueue)],
        bindings: [BindingSpec(queue: PipelineNames.inboundQueue, exchange: PipelineNames.inboundExchange, routingKey: "#")])
}
