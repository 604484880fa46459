import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Runs a task's jobs on an event loop thread of its own, so that a sandbox's request handlers run
/// on the thread that reads and writes its connections instead of hopping to Swift's global pool and
/// back for every request (under `mailpool-bench notifications` the hops were about a quarter of the
/// sandbox's CPU). One per sandbox: a sandbox busy with a large message holds up only its own clients.
final class EventLoopTaskExecutor: TaskExecutor {
    private let group: MultiThreadedEventLoopGroup
    /// True once the loop is shutting down: jobs go to Swift's global executor instead.
    private let closed = Mutex(false)
    /// The group's one loop.
    let eventLoop: any EventLoop

    init() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        eventLoop = group.next()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        closed.withLock { closed in
            if closed {
                globalConcurrentExecutor.enqueue(job)
            } else {
                eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
            }
        }
    }

    /// Sends later jobs to Swift's global executor, then ends the loop's thread.
    func shutdown() async {
        closed.withLock { $0 = true }
        try? await group.shutdownGracefully()
    }
}

/// A service whose tasks, and the child tasks they start (one per connection in Hummingbird), prefer
/// `executor`, which is shut down when the service ends.
struct OnEventLoop<Wrapped: Service>: Service {
    let executor: EventLoopTaskExecutor
    let wrapped: Wrapped

    func run() async throws {
        do {
            try await withTaskExecutorPreference(executor) { try await wrapped.run() }
        } catch {
            await executor.shutdown()
            throw error
        }
        await executor.shutdown()
    }
}
