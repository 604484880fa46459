import MailpoolCore

/// A POP3, IMAP or SMTP server and the login for one mailbox on it.
public struct MailServerEndpoint: Sendable {
    public enum Security: Sendable {
        /// TLS from the first byte (imaps, pop3s, smtps).
        case implicitTLS
        /// A plain connection upgraded with STARTTLS/STLS; refused if the server cannot.
        case startTLS
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var user: String
    public var password: Secret
    /// PEM bundle trusted for the server's certificate; nil uses the system's store.
    public var caFile: String?

    public init(host: String, port: Int, security: Security, user: String, password: Secret, caFile: String? = nil) {
        self.host = host
        self.port = port
        self.security = security
        self.user = user
        self.password = password
        self.caFile = caFile
    }

    /// `imaps://host:port` or `imap://host:port` (and the same for pop3, smtp).
    func baseURL(_ scheme: String) -> String {
        "\(security == .implicitTLS ? scheme + "s" : scheme)://\(host):\(port)"
    }
}
