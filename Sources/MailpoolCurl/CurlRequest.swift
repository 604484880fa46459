/// A transfer ``CurlEngine`` can run: the URL and limits every protocol has, and the options of its own
/// protocol, set on the easy handle (on the engine's thread).
protocol CurlRequest: Sendable {
    var url: String { get }
    /// Limit on the whole transfer, in seconds.
    var timeout: Double { get }
    /// Limit on connecting (TCP and TLS), in seconds.
    var connectTimeout: Double { get }
    /// True when a body that comes with an error status (≥ 300) belongs in memory, not in a file sink.
    var errorBodiesStayInMemory: Bool { get }
    /// False for a request the server must not receive twice (sendMail, send, move, SMTP DATA):
    /// libcurl then may not re-send it by itself, as it otherwise does when a reused connection turns
    /// out dead before any response byte arrived.
    var repeatable: Bool { get }
    /// When set, the transfer runs only on the connection the pin's first transfer used.
    var pin: ConnectionPin? { get }

    /// Sets the protocol's options; lists that libcurl keeps pointers to come from `transfer.list(_:)`.
    func configure(_ handle: UnsafeMutableRawPointer, transfer: CurlTransfer)
}
