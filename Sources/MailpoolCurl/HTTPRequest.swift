import CCurl
import CMailpoolShims

/// An HTTP request for ``CurlEngine``.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    /// Header lines in order, e.g. `("Content-Type", "application/json")`.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    /// Limit on the whole transfer, in seconds; 0 for none (then ``stallTimeout`` bounds it).
    public var timeout: Double
    /// Limit on connecting (TCP and TLS), in seconds.
    public var connectTimeout: Double
    /// False when the server must not receive the request twice (see ``CurlError/mayHaveBeenProcessed``).
    public var repeatable: Bool
    /// PEM bundle trusted for the server's certificate; nil uses the system's store.
    public var caFile: String?
    /// A transfer moving less than ``HTTPRequest/stallSpeed`` for this many seconds fails: for downloads
    /// whose size is not known, a limit that scales with the size instead of one on the whole.
    public var stallTimeout: Double?
    /// Bytes per second below which a transfer counts as stalled.
    public static let stallSpeed = 1024

    public init(method: String = "GET", url: String, headers: [(name: String, value: String)] = [],
                body: [UInt8]? = nil, timeout: Double = 60, connectTimeout: Double = 10, repeatable: Bool = true,
                caFile: String? = nil, stallTimeout: Double? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.repeatable = repeatable
        self.caFile = caFile
        self.stallTimeout = stallTimeout
    }
}

extension HTTPRequest: CurlRequest {
    var errorBodiesStayInMemory: Bool { true }
    var pin: ConnectionPin? { nil }

    func configure(_ handle: UnsafeMutableRawPointer, transfer: CurlTransfer) {
        mp_curl_setopt_long(handle, CURLOPT_PIPEWAIT, 1)  // prefer an HTTP/2 stream on an open connection
        mp_curl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "")  // gzip/deflate/br as libcurl supports
        if let caFile { mp_curl_setopt_string(handle, CURLOPT_CAINFO, caFile) }
        if let stallTimeout {
            mp_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, Self.stallSpeed)
            mp_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, Int(stallTimeout.rounded(.up)))
        }
        // An empty Expect stops libcurl waiting for "100 Continue" before sending a body.
        let lines = headers.map { "\($0.name): \($0.value)" } + (body != nil ? ["Expect:"] : [])
        mp_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(transfer.list(lines)))
        switch method {
        case "GET": mp_curl_setopt_long(handle, CURLOPT_HTTPGET, 1)
        case "POST": mp_curl_setopt_long(handle, CURLOPT_POST, 1)
        default: mp_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method)
        }
        guard let body else { return }
        // libcurl copies the body (COPYPOSTFIELDS), so the request's array need not outlive this call.
        mp_curl_setopt_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
        if body.isEmpty {
            mp_curl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, "")
        } else {
            body.withUnsafeBytes {
                _ = mp_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress))
            }
        }
    }
}

/// Where a response body goes.
public enum ResponseSink: Sendable {
    /// Kept in memory (JSON and other small bodies).
    case memory
    /// Written to this file as it arrives, so that large bodies never sit whole in memory. The file is
    /// created or truncated; it receives only a successful (2xx) body — an error body stays in memory.
    case file(path: String)
}

/// A completed transfer: for HTTP any status; for mail protocols the server's reply.
public struct CurlResponse: Sendable {
    public let status: Int
    /// Header lines of the final response, names as sent.
    public let headers: [(name: String, value: String)]
    /// The body, unless it went to a file (``ResponseSink/file(path:)`` and a 2xx status).
    public let body: [UInt8]
    /// Bytes of body received.
    public let bodyLength: Int

    /// The first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}
