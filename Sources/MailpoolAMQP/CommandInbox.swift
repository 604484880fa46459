import CMailpoolShims
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Work handed from Swift tasks to the thread that owns a connection. Submitting never blocks on I/O:
/// it appends under a lock and, when the owner may be asleep in `poll`, writes to an eventfd it watches.
/// Once the owner has shut down, submitted commands fail at once with ``AMQPError/closed``.
final class CommandInbox: Sendable {
    private struct State {
        var commands: [ConnectionCommand] = []
        var isShutDown = false
    }

    private let state = Mutex(State())
    /// Readable whenever commands are waiting.
    let wakeDescriptor: Int32

    init() {
        wakeDescriptor = mp_wake_descriptor()
        precondition(wakeDescriptor >= 0, "eventfd failed: errno \(errno)")
    }

    deinit {
        close(wakeDescriptor)
    }

    func submit(_ command: ConnectionCommand) {
        let outcome: (accepted: Bool, wake: Bool) = state.withLock { state in
            guard !state.isShutDown else { return (false, false) }
            state.commands.append(command)
            return (true, state.commands.count == 1)
        }
        guard outcome.accepted else {
            command.fail(.closed)
            return
        }
        if outcome.wake {
            var one: UInt64 = 1
            _ = write(wakeDescriptor, &one, MemoryLayout<UInt64>.size)
        }
    }

    /// Takes every waiting command, oldest first, and resets the wake-up descriptor.
    func drain() -> [ConnectionCommand] {
        var counter: UInt64 = 0
        _ = read(wakeDescriptor, &counter, MemoryLayout<UInt64>.size)
        return state.withLock { state in
            defer { state.commands.removeAll(keepingCapacity: true) }
            return state.commands
        }
    }

    /// Refuses further commands and returns those still waiting.
    func shutDown() -> [ConnectionCommand] {
        state.withLock { state in
            state.isShutDown = true
            defer { state.commands.removeAll() }
            return state.commands
        }
    }

    /// Sleeps until a command is submitted or `milliseconds` pass.
    func wait(milliseconds: Int32, orReadable socket: Int32? = nil) {
        var descriptors = [pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0)]
        if let socket { descriptors.append(pollfd(fd: socket, events: Int16(POLLIN), revents: 0)) }
        _ = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
    }
}
