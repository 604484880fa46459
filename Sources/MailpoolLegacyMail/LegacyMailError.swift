import MailpoolCurl

/// A POP3, IMAP or SMTP failure, with what to check. Never contains the password.
public enum LegacyMailError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server refused the user name or password.
    case authenticationFailed(server: String)
    /// The server refused a command (the text is the command, not the reply, which libcurl keeps).
    case commandFailed(server: String, command: String)
    /// TLS could not be established or verified.
    case tls(server: String, detail: String)
    /// The connection failed or dropped.
    case connection(server: String, detail: String)
    /// A reply mailpool could not read.
    case unexpectedReply(server: String, detail: String)
    /// The SMTP server refused the message or a recipient (4xx: for now, 5xx: for good).
    case refused(server: String, replyCode: Int, detail: String)
    /// The whole message was handed over but no reply to it came (the connection dropped or the reply
    /// timed out): the server may have accepted it, so sending it again may deliver it twice.
    case outcomeUnknown(server: String, detail: String)

    public var description: String {
        switch self {
        case .authenticationFailed(let server): "\(server) refused the login: check the user name and password"
        case .commandFailed(let server, let command): "\(server) refused \(command)"
        case .tls(let server, let detail): "TLS with \(server) failed (\(detail)): check the port, the TLS mode and the CA"
        case .connection(let server, let detail): "cannot talk to \(server): \(detail)"
        case .unexpectedReply(let server, let detail): "unexpected reply from \(server): \(detail)"
        case .refused(let server, let code, let detail): "\(server) refused the message (\(code)): \(detail)"
        case .outcomeUnknown(let server, let detail):
            "\(server) got the whole message but its reply never came (\(detail)): it may have been accepted"
        }
    }

    /// True when retrying later may succeed without a configuration change.
    public var isTransient: Bool {
        switch self {
        case .connection: true
        case .refused(_, let code, _): (400..<500).contains(code)
        default: false
        }
    }

    /// `upload`: the command carried content (SMTP DATA), whose loss after it was handed over whole
    /// leaves the outcome unknown.
    init(_ error: CurlError, command: String, upload: Bool) {
        switch error.code {
        case 67: self = .authenticationFailed(server: error.host)                       // CURLE_LOGIN_DENIED
        case 35, 60, 64, 66, 77, 80, 83, 90, 91: self = .tls(server: error.host, detail: error.message)
        // A refusal reply, to a recipient (SEND_ERROR) or to the final dot (WEIRD_SERVER_REPLY).
        case 8 where error.responseCode >= 400, 55 where error.responseCode >= 400:
            self = .refused(server: error.host, replyCode: error.responseCode, detail: error.message)
        case _ where error.connectionReplaced:
            self = .connection(server: error.host, detail: "the session's connection was lost before \(command), which was not sent on a new one")
        case _ where upload && error.mayHaveBeenProcessed: self = .outcomeUnknown(server: error.host, detail: error.message)
        case 21, 78: self = .commandFailed(server: error.host, command: command)  // QUOTE_ERROR, REMOTE_FILE_NOT_FOUND
        default: self = .connection(server: error.host, detail: error.message)
        }
    }
}
