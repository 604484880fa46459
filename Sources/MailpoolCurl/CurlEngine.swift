import CCurl
import CMailpoolShims
import FoundationEssentials
import MailpoolCore
import Synchronization

/// Runs HTTP transfers with libcurl's multi interface on one thread of its own, so that any number of
/// requests proceed concurrently without blocking Swift's cooperative pool. The multi handle keeps a
/// connection cache: requests to the same host reuse open connections (HTTP keep-alive, HTTP/2
/// multiplexing over TLS). Proxies come from the usual environment variables (`https_proxy`,
/// `http_proxy`, `no_proxy`), which libcurl reads itself.
public final class CurlEngine: Sendable {
    private struct Pending: @unchecked Sendable {  // handed from the submitting task to the engine thread
        let request: any CurlRequest
        let sink: ResponseSink
        let continuation: CheckedContinuation<CurlResponse, any Error>
    }

    private struct Inbox {
        var pending: [Pending] = []
        var stopping = false
    }

    private let multi: MultiHandle
    private let inbox = Mutex(Inbox())
    private let connections = Atomic<Int>(0)
    private let transfers = Atomic<Int>(0)

    /// Starts the engine's thread. `maxConnectionsPerHost` bounds parallel connections to one host.
    public init(name: String = "curl", maxConnectionsPerHost: Int = 16) {
        CurlGlobal.initialize()
        multi = MultiHandle(maxConnectionsPerHost: maxConnectionsPerHost)
        DedicatedThread.start(name: name) { [self] in run() }
    }

    /// Performs `request`. Returns every HTTP status as a response; throws ``CurlError`` only when no
    /// complete response arrived (connection refused or dropped, timeout, write failure).
    public func perform(_ request: HTTPRequest, into sink: ResponseSink = .memory) async throws -> CurlResponse {
        try await run(request, into: sink)
    }

    /// Performs an IMAP, POP3 or SMTP command; throws ``CurlError`` when the server refuses it.
    public func perform(_ request: MailRequest, into sink: ResponseSink = .memory) async throws -> CurlResponse {
        try await run(request, into: sink)
    }

    private func run(_ request: some CurlRequest, into sink: ResponseSink) async throws -> CurlResponse {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = inbox.withLock { inbox in
                guard !inbox.stopping else { return false }
                inbox.pending.append(Pending(request: request, sink: sink, continuation: continuation))
                return true
            }
            guard accepted else {
                continuation.resume(throwing: CurlError(code: Int(CURLE_ABORTED_BY_CALLBACK.rawValue),
                                                        message: "the HTTP engine has shut down", host: CurlTransfer.host(of: request.url)))
                return
            }
            multi.wakeUp()
        }
    }

    /// Fails new requests, lets running transfers finish, then ends the thread.
    public func shutdown() {
        inbox.withLock { $0.stopping = true }
        multi.wakeUp()
    }

    /// TCP connections opened so far (a measure of connection reuse).
    public var connectionsOpened: Int { connections.load(ordering: .relaxed) }

    /// Transfers completed so far.
    public var transfersCompleted: Int { transfers.load(ordering: .relaxed) }

    private func run() {
        var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
        var idleHandles: [UnsafeMutableRawPointer] = []
        while true {
            let (newRequests, stopping) = inbox.withLock { inbox in
                defer { inbox.pending.removeAll() }
                return (inbox.pending, inbox.stopping)
            }
            for pending in newRequests {
                let handle = idleHandles.popLast() ?? curl_easy_init()!
                do {
                    let transfer = try CurlTransfer(handle: handle, request: pending.request, sink: pending.sink,
                                                    continuation: pending.continuation)
                    active[handle] = transfer
                    multi.add(handle)
                } catch {
                    pending.continuation.resume(throwing: error)
                    idleHandles.append(handle)
                }
            }
            if stopping && active.isEmpty { break }
            multi.perform()
            for (handle, code) in multi.completed() {
                guard let transfer = active.removeValue(forKey: handle) else { continue }
                multi.remove(handle)
                connections.add(transfer.connectionsOpened, ordering: .relaxed)
                transfers.add(1, ordering: .relaxed)
                transfer.finish(code)
                curl_easy_reset(handle)
                idleHandles.append(handle)
            }
            multi.poll(milliseconds: 1000)
        }
        idleHandles.forEach { curl_easy_cleanup($0) }
    }
}

/// `curl_global_init` exactly once per process, before any other libcurl call.
enum CurlGlobal {
    private static let done: Bool = {
        curl_global_init(Int(CURL_GLOBAL_ALL))
        return true
    }()

    static func initialize() {
        _ = done
    }
}
