/// A transfer that did not complete: no HTTP status to look at. Never contains the URL's query,
/// which may carry credentials (upload-session URLs do).
public struct CurlError: Error, Sendable, Equatable, CustomStringConvertible {
    /// libcurl's `CURLcode`.
    public let code: Int
    /// libcurl's explanation.
    public let message: String
    /// Host (and port) the transfer was for.
    public let host: String
    /// The server's last reply code, when it gave one (an SMTP 550, say).
    public var responseCode: Int = 0
    /// True when the request may have reached the server and been carried out although no complete
    /// answer came back: an HTTP request that had started going out on a connection, or an upload (SMTP
    /// DATA) handed over whole. False when it certainly never left (no connection, refused, DNS), so
    /// that even a request that must not be repeated can be sent again.
    public var mayHaveBeenProcessed = false
    /// The transfer was stopped before sending anything because its connection was not its
    /// ``ConnectionPin``'s: the session it belonged to is gone.
    public var connectionReplaced = false

    public init(code: Int, message: String, host: String) {
        self.code = code
        self.message = message
        self.host = host
    }

    public var description: String { "HTTP transfer to \(host) failed: \(message) (curl \(code))" }

    /// True for failures worth retrying: timeouts, refused or reset connections, empty replies.
    public var isTransient: Bool {
        // CURLE_COULDNT_RESOLVE_HOST 6, COULDNT_CONNECT 7, PARTIAL_FILE 18, OPERATION_TIMEDOUT 28,
        // GOT_NOTHING 52, SEND_ERROR 55, RECV_ERROR 56, HTTP2 16, HTTP2_STREAM 92
        [6, 7, 16, 18, 28, 52, 55, 56, 92].contains(code)
    }
}
