import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOSSL
import ServiceLifecycle

/// A certificate chain and its private key (PEM files) for serving HTTPS. The sandbox then speaks
/// HTTP/2 to clients that offer it through ALPN, as Graph does, and HTTP/1.1 to the others.
public struct SandboxTLS: Sendable {
    public var certificateFile: String
    public var privateKeyFile: String

    public init(certificateFile: String, privateKeyFile: String) {
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
    }

    func server() throws -> HTTPServerBuilder {
        let chain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: privateKeyFile, format: .pem)
        // At shutdown, a client that does not answer the GOAWAY (one that has stopped reading) is
        // disconnected after a second instead of holding the server open.
        return try .http2Upgrade(tlsConfiguration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)),
                                 configuration: .init(gracefulCloseTimeout: .seconds(1)))
    }
}

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

    /// The HTTP server as a swift-service-lifecycle `Service`: plain HTTP/1.1, or with `tls` HTTPS
    /// with HTTP/2. `onReady` gets the bound port (useful with port 0). It serves on one event loop
    /// thread of its own and runs its handlers on that thread.
    public func service(host: String = "127.0.0.1", port: Int = 0, tls: SandboxTLS? = nil,
                        onReady: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some Service {
        let router = Router(context: SandboxContext.self)
        router.add(middleware: SandboxMiddleware(state: state))
        SandboxRoutes(state: state).register(on: router)
        let server = try tls?.server() ?? .http1()
        let executor = EventLoopTaskExecutor()
        return OnEventLoop(executor: executor, wrapped: Application(
            router: router, server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "mailpool-graph-sandbox"),
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? port) },
            eventLoopGroupProvider: .shared(executor.eventLoop),
            logger: logger))
    }

    /// Starts serving in the background on an ephemeral loopback port (HTTPS with HTTP/2 with `tls`).
    public func start(tls: SandboxTLS? = nil) async throws -> RunningSandbox {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let group = ServiceGroup(configuration: .init(
            services: [try service(tls: tls, onReady: { port in continuation.yield(port) })], logger: logger))
        let task = Task { try await group.run() }
        for await port in ports {
            return RunningSandbox(baseURL: "\(tls == nil ? "http" : "https")://127.0.0.1:\(port)", group: group, task: task)
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

    /// Total and unread messages in the folder with this display name (one made through the API, say).
    public func count(_ mailbox: String, folderNamed displayName: String) async throws -> (total: Int, unread: Int) {
        guard let folder = await state.folders(mailbox: mailbox.lowercased(), displayName: displayName).first else {
            throw GraphFailure.itemNotFound
        }
        return try await count(mailbox, folder: folder.id)
    }
}

/// A sandbox serving in the background.
public struct RunningSandbox: Sendable {
    /// `http://127.0.0.1:PORT` (or `https://`): the authority and the Graph base URL at once.
    public let baseURL: String
    let group: ServiceGroup
    let task: Task<Void, any Error>

    /// Stops accepting connections and waits for the server to finish: for the open requests and,
    /// over HTTP/2, for clients to answer its GOAWAY — for 2 seconds at most, since a client that has
    /// stopped reading its connections never answers.
    public func stop() async {
        await group.triggerGracefulShutdown()
        let deadline = Task { [task] in
            try await Task.sleep(for: .seconds(2))
            task.cancel()
        }
        _ = await task.result
        deadline.cancel()
    }
}
