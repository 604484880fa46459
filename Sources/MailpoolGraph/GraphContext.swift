import Logging
import MailpoolCurl

/// What every Graph client in a process shares: the HTTP engine (and so its connection cache), the
/// token cache, the per-mailbox concurrency limit and pace, and the retry policy.
public struct GraphContext: Sendable {
    public let engine: CurlEngine
    public let tokens: TokenCache
    let gate: MailboxGate
    public var retry: GraphRetryPolicy
    /// Limit on a request and its answer, in seconds; downloads into files have ``stallTimeout`` instead.
    public var requestTimeout: Double
    /// A download slower than 1 KB/s for this many seconds fails (there is no limit on its length).
    public var stallTimeout: Double
    /// PEM bundle trusted for Graph's and the token endpoint's certificates; nil uses the system's store.
    public var caFile: String?
    public var logger: Logger

    /// `pacing` keeps each mailbox under its request quota (nil: no pacing).
    public init(engine: CurlEngine = CurlEngine(name: "graph-http"), retry: GraphRetryPolicy = GraphRetryPolicy(),
                concurrentRequestsPerMailbox: Int = 4, pacing: RequestPacing? = .exchangeOnline, requestTimeout: Double = 120,
                stallTimeout: Double = 60, caFile: String? = nil, logger: Logger = Logger(label: "mailpool.graph")) {
        self.engine = engine
        self.tokens = TokenCache(engine: engine, caFile: caFile)
        self.gate = MailboxGate(limit: concurrentRequestsPerMailbox, pacing: pacing)
        self.retry = retry
        self.requestTimeout = requestTimeout
        self.stallTimeout = stallTimeout
        self.caFile = caFile
        self.logger = logger
    }

    /// Takes this process's share of the per-mailbox limits, `processes` processes sending for the
    /// same mailboxes (see ``MailboxGate``).
    public func shareLimits(among processes: Int) async {
        await gate.share(among: processes)
    }
}
