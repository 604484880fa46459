import FoundationEssentials
import MailpoolCore
import Logging
import Prometheus
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 listener for Prometheus and the orchestrator: `GET /metrics` (the registry in
/// Prometheus' text format), `GET /health/live` (200 while the process runs) and `GET /health/ready`
/// (200 when ``Readiness`` says so, else 503 naming what is missing). One request per connection,
/// served on a thread of its own: a web framework's event loops would cost the notification worker
/// more memory than its budget has (its peak RSS is held at 32 MB).
public final class MetricsServer: @unchecked Sendable {
    /// The port listened on (the one asked for, or the one the system chose for 0).
    public let port: Int
    private let socket: Int32
    private let registry: PrometheusCollectorRegistry
    private let readiness: Readiness

    /// Listens on `host:port` (0 lets the system choose).
    public init(host: String = "0.0.0.0", port: Int, registry: PrometheusCollectorRegistry, readiness: Readiness) throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw MetricsServerError.cannotListen(port: port, reason: String(cString: strerror(errno))) }
        var reuse: Int32 = 1
        setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(socket, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(socket)
            throw MetricsServerError.cannotListen(port: port, reason: reason)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        self.socket = socket
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        self.registry = registry
        self.readiness = readiness
        DedicatedThread.start(name: "metrics-http") { Self.serve(socket: socket, registry: registry, readiness: readiness) }
    }

    private static func serve(socket: Int32, registry: PrometheusCollectorRegistry, readiness: Readiness) {
        while true {
            let client = accept(socket, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return  // the listening socket was closed
            }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            respond(to: client, registry: registry, readiness: readiness)
            close(client)
        }
    }

    private static func respond(to client: Int32, registry: PrometheusCollectorRegistry, readiness: Readiness) {
        var request = [UInt8](repeating: 0, count: 2048)
        let count = recv(client, &request, request.count, 0)
        guard count > 0 else { return }
        let line = String(decoding: request[..<count].prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        guard line.count >= 2 else { return send(client, status: "400 Bad Request", body: Array("bad request\n".utf8)) }
        let path = line[1].split(separator: "?").first.map(String.init) ?? ""
        switch (line[0], path) {
        case ("GET", "/metrics"):
            send(client, status: "200 OK", contentType: "text/plain; version=0.0.4; charset=utf-8", body: registry.emitToBuffer())
        case ("GET", "/health/live"):
            send(client, status: "200 OK", body: Array("live\n".utf8))
        case ("GET", "/health/ready"):
            let missing = readiness.missing
            send(client, status: missing.isEmpty ? "200 OK" : "503 Service Unavailable",
                 body: Array((missing.isEmpty ? "ready\n" : "not ready: " + missing.joined(separator: ", ") + "\n").utf8))
        case ("GET", _):
            send(client, status: "404 Not Found", body: Array("not found\n".utf8))
        default:
            send(client, status: "405 Method Not Allowed", body: Array("only GET\n".utf8))
        }
    }

    private static func send(_ client: Int32, status: String, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        for bytes in [Array(head.utf8), body] {
            // A scraper that went away takes no more: the response is dropped with the connection.
            let sent = bytes.withUnsafeBytes { bytes in writeAll(bytes) { Glibc.send(client, $0, $1, Int32(MSG_NOSIGNAL)) } }
            guard sent else { return }
        }
    }

    /// Stops listening.
    public func stop() {
        shutdown(socket, Int32(SHUT_RDWR))
        close(socket)
    }
}

public enum MetricsServerError: Error, CustomStringConvertible {
    case cannotListen(port: Int, reason: String)

    public var description: String {
        switch self {
        case .cannotListen(let port, let reason): "cannot listen on port \(port) for metrics and health: \(reason)"
        }
    }
}
