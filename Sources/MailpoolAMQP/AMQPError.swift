/// Errors raised by the AMQP client. Each case says what happened in the broker's own words where
/// the broker gave any, and never carries a password.
public enum AMQPError: Error, Equatable, Sendable {
    /// The URL could not be parsed.
    case invalidURL(String)
    /// No broker answered at this address (refused, unresolvable or timed out).
    case connectionRefused(endpoint: String, detail: String)
    /// The broker refused the credentials (reply code 403).
    case accessRefused(endpoint: String, replyText: String)
    /// The virtual host does not exist or the user may not open it (reply code 530 on connection.open).
    case vhostNotFound(endpoint: String, replyText: String)
    /// TLS failed: handshake, peer certificate or host name verification.
    case tls(endpoint: String, detail: String)
    /// A declaration does not match what already exists on the broker (reply code 406).
    case preconditionFailed(replyText: String)
    /// The exchange or queue named does not exist (reply code 404).
    case notFound(replyText: String)
    /// An exclusive queue of that name belongs to another connection (reply code 405).
    case resourceLocked(replyText: String)
    /// The broker closed a channel for another reason.
    case channelClosed(code: UInt16, replyText: String)
    /// The connection went away before the operation completed; unconfirmed publishes fail with this.
    case connectionLost(String)
    /// The broker negatively acknowledged a publish: it did not take responsibility for the message.
    case publishNacked
    /// A mandatory publish could not be routed to any queue and came back (basic.return).
    case unroutable(replyCode: UInt16, replyText: String)
    /// The broker cancelled this consumer (its queue was deleted, or the node hosting it went down).
    case consumerCancelled(queue: String)
    /// The connection was closed by the application.
    case closed
    /// Any other library or protocol failure.
    case protocolError(String)
}

extension AMQPError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalidURL(let detail):
            return "invalid AMQP URL: \(detail)"
        case .connectionRefused(let endpoint, let detail):
            return "cannot connect to RabbitMQ at \(endpoint): \(detail); check that the broker runs and the host and port are right"
        case .accessRefused(let endpoint, let text):
            return "RabbitMQ at \(endpoint) refused the credentials (\(text)); check the user name and password"
        case .vhostNotFound(let endpoint, let text):
            return "RabbitMQ at \(endpoint) would not open the virtual host (\(text)); create it or grant the user access"
        case .tls(let endpoint, let detail):
            return "TLS to RabbitMQ at \(endpoint) failed: \(detail)"
        case .preconditionFailed(let text):
            return "topology mismatch (PRECONDITION_FAILED): \(text); the broker holds a declaration with other arguments"
        case .notFound(let text):
            return "not found: \(text)"
        case .resourceLocked(let text):
            return "locked by another connection: \(text)"
        case .channelClosed(let code, let text):
            return "channel closed by the broker (\(code)): \(text)"
        case .connectionLost(let reason):
            return "connection to RabbitMQ lost: \(reason)"
        case .publishNacked:
            return "the broker refused responsibility for the message (basic.nack); publish it again"
        case .unroutable(let code, let text):
            return "message could not be routed to any queue (\(code) \(text)); check the exchange's bindings"
        case .consumerCancelled(let queue):
            return "the broker cancelled the consumer on queue '\(queue)'"
        case .closed:
            return "the AMQP connection is closed"
        case .protocolError(let detail):
            return "AMQP protocol error: \(detail)"
        }
    }
}
