import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// A loopback server that behaves like Microsoft Entra's token endpoint and Graph's mail endpoints,
/// for tests, benchmarks, the quick start and offline development. Point a Graph client at it by
/// using ``baseURL`` as both the authority and the Graph base URL.
public final class GraphSandbox: Sendable {
    let state: SandboxState
    private let logger: Logger

    public init(seed: SandboxSeed, logger: Logger = Logger(label: "mailpool.sandbox")) {
        state = SandboxState(seed: seed)
        var logger = logger
        logger.logLevel = max(logger.logLevel, .notice)
        self.logger = logger
    }

    /// The HTTP server as a swift-service-lifecycle `Service`; `onReady` gets the bound port (useful
    /// with port 0).
    public func service(host: String = "127.0.0.1", port: Int = 0,
                        onReady: @escaping @Sendable (Int) async -> Void = { _ in }) -> some Service {
        let router = Router(context: SandboxContext.self)
        router.add(middleware: SandboxMiddleware(state: state))
        SandboxRoutes(state: state).register(on: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "mailpool-graph-sandbox"),
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// Starts serving in the background on an ephemeral loopback port.
    public func start() async throws -> RunningSandbox {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let group = ServiceGroup(configuration: .init(
            services: [service(onReady: { port in continuation.yield(port) })], logger: logger))
        let task = Task { try await group.run() }
        for await port in ports {
            return RunningSandbox(baseURL: "http://127.0.0.1:\(port)", group: group, task: task)
        }
        throw CancellationError()
    }

    // MARK: Administration (the same as the /_sandbox routes, without HTTP)

    /// Adds a message to a mailbox; returns its immutable ID and the SHA-256 of its MIME.
    @discardableResult
    public func seed(_ message: SeedMessage, to mailbox: String) async throws -> (id: String, sha256: String, size: Int) {
        let stored = try await state.deliver(message, to: mailbox.lowercased())
        return (stored.immutableID, stored.mime.sha256Hex, stored.mime.readableBytes)
    }

    public func statistics() async -> SandboxCounters { await state.statistics() }

    public func resetStatistics() async { await state.resetStatistics() }

    public func setFaults(_ faults: SandboxFaults) async { await state.setFaults(faults) }

    public func setLimits(_ limits: SandboxLimits) async { await state.setLimits(limits) }

    /// Invalidates every token issued so far (Graph then answers 401 InvalidAuthenticationToken).
    public func revokeTokens() async { await state.revokeTokens() }

    /// What a mailbox sent, in order.
    public func sent(from mailbox: String) async -> [SentRecord] { await state.sent(mailbox: mailbox.lowercased()) }

    /// Total and unread messages in a folder (`inbox`, `deleteditems`, `sentitems` …).
    public func count(_ mailbox: String, folder: String) async throws -> (total: Int, unread: Int) {
        let counts = try await state.folderCounts(mailbox: mailbox.lowercased(), folder: folder)
        return (counts.total, counts.unread)
    }
}

/// A sandbox serving in the background.
public struct RunningSandbox: Sendable {
    /// `http://127.0.0.1:PORT`: the authority and the Graph base URL at once.
    public let baseURL: String
    let group: ServiceGroup
    let task: Task<Void, any Error>

    /// Stops accepting connections and waits for the server to finish.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}
