import NIOCore
import NIOPosix
import ServiceLifecycle

/// Runs a task's jobs on one NIO event loop, so that the sandbox's request handlers run on the
/// thread that reads and writes their connections instead of hopping to Swift's global pool and
/// back for every request (under `mailpool-bench notifications` the hops were about a quarter of
/// the sandbox's CPU).
final class EventLoopTaskExecutor: TaskExecutor {
    /// The loop every sandbox in the process serves on: one thread, whose handlers never block.
    static let shared = EventLoopTaskExecutor(MultiThreadedEventLoopGroup(numberOfThreads: 1).next())

    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// A service whose tasks, and the child tasks they start (one per connection in Hummingbird),
/// prefer the sandbox's event loop (``EventLoopTaskExecutor/shared``).
struct OnEventLoop<Wrapped: Service>: Service {
    let wrapped: Wrapped

    init(_ wrapped: Wrapped) {
        self.wrapped = wrapped
    }

    func run() async throws {
        try await withTaskExecutorPreference(EventLoopTaskExecutor.shared) { try await wrapped.run() }
    }
}
