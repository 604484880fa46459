import CPosixThread
import Glibc

/// A POSIX thread that runs one closure to its end: the owner thread of a blocking C connection
/// (rabbitmq-c, a libcurl multi handle) or a small server loop. Foundation's `Thread` would do the
/// same but links all of Foundation, CoreFoundation and ICU into the executable (about 3.5 MB of the
/// worker's resident memory); mailpool's executable uses only `FoundationEssentials`.
public enum DedicatedThread {
    /// Starts a detached thread named `name` (Linux keeps its first 15 bytes) that runs `body`.
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Context(name: name, body: body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { raw in
            let context = Unmanaged<Context>.fromOpaque(raw!).takeRetainedValue()
            _ = mp_name_current_thread(context.name)
            context.body()
            return nil
        }, context)
        precondition(status == 0, "pthread_create failed: \(status)")
        pthread_detach(thread)
    }

    private final class Context {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
}
