import CRabbitMQ
#if canImport(Glibc)
import Glibc
#endif

/// One broker address parsed from an `amqp://` or `amqps://` URL
/// (`amqp://user:password@host:port/vhost`, RabbitMQ's URI specification).
public struct AMQPURL: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var vhost: String
    /// True for `amqps://`.
    public var tls: Bool

    /// Parses `string`; the password is percent-decoded and kept out of ``description``.
    public init(_ string: String) throws(AMQPError) {
        guard let buffer = strdup(string) else { throw .invalidURL("out of memory") }
        defer { free(buffer) }
        var info = amqp_connection_info()
        amqp_default_connection_info(&info)
        guard amqp_parse_url(buffer, &info) == AMQP_STATUS_OK.rawValue else {
            throw .invalidURL(Self.redacted(string))
        }
        host = String(cString: info.host)
        port = Int(info.port)
        user = String(cString: info.user)
        password = String(cString: info.password)
        vhost = String(cString: info.vhost)
        tls = info.ssl != 0
    }

    /// The address without credentials, as used in logs and errors.
    public var endpoint: String { "\(tls ? "amqps" : "amqp")://\(host):\(port)/\(vhost)" }

    /// Replaces the password part of a URL string so that it can be shown.
    static func redacted(_ string: String) -> String {
        guard let schemeEnd = string.firstRange(of: "://"),
              let at = string[schemeEnd.upperBound...].lastIndex(of: "@") else { return string }
        let userInfo = string[schemeEnd.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return string }
        return string[..<colon] + ":***" + string[at...]
    }
}

extension AMQPURL: CustomStringConvertible {
    public var description: String { "\(tls ? "amqps" : "amqp")://\(user):***@\(host):\(port)/\(vhost)" }
}
