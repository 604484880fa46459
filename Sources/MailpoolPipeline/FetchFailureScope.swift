import MailpoolAMQP
import MailpoolCurl
import MailpoolGraph
import MailpoolLegacyMail

/// What a fetch failure is a problem of: one message, the mailbox (its account or server), the
/// inbound store, or downstream (no queue takes the events). Decides whether a batch goes on, whom the logs blame, and whether the account is
/// marked as needing attention.
enum FetchFailureScope: Equatable {
    case message
    case mailbox
    case store
    case downstream

    init(_ error: any Error, store: InboundStore) {
        if error is StoreError || store.problem() != nil {
            self = .store
            return
        }
        switch error {
        case AMQPError.unroutable:
            self = .downstream
        case GraphError.service(let status, _, _) where status == 404 || status >= 500:
            self = .message  // the message is gone, or Graph cannot serve it
        case GraphError.serviceUnavailable, GraphError.invalidResponse:
            self = .message
        case GraphError.transport(let curl) where Self.brokeMidTransfer(curl):
            self = .message
        case LegacyMailError.commandFailed, LegacyMailError.unexpectedReply:
            self = .message  // the server refused or garbled this message's FETCH or RETR
        default:
            self = .mailbox
        }
    }

    /// A transfer that had connected and then failed: timed out or stalled (a large message on a slow
    /// link), or cut off part way. A failure to connect at all is the server's, not the message's.
    private static func brokeMidTransfer(_ error: CurlError) -> Bool {
        // PARTIAL_FILE 18, OPERATION_TIMEDOUT 28, RECV_ERROR 56, HTTP2 16, HTTP2_STREAM 92
        [16, 18, 28, 56, 92].contains(error.code) && error.mayHaveBeenProcessed
    }
}
