import MailpoolAMQP
import ServiceLifecycle

extension AMQPConsumer {
    /// Handles each delivery in a task of its own — as many at once as the consumer's prefetch allows —
    /// until graceful shutdown: then it stops taking deliveries (basic.cancel), lets the ones in hand
    /// finish, and returns.
    public func handleConcurrently(_ handle: @escaping @Sendable (AMQPDelivery) async -> Void) async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                for try await delivery in self {
                    group.addTask { await handle(delivery) }
                }
            }
        } onGracefulShutdown: {
            cancel()
        }
    }
}
