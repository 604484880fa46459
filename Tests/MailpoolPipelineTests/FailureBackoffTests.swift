import MailpoolCurl
import MailpoolGraph
@testable import MailpoolPipeline
import Testing

/// Which fetch failures rest a mailbox briefly and which mark its account as needing attention.
@Suite struct FailureBackoffTests {
    let backoff = FailureBackoff(transient: 30, configuration: 300)

    /// Graph's ambiguity and passing faults rest the mailbox 30 s and blame no one (a lost answer to a
    /// move rested it 5 minutes as "needs attention" before).
    @Test(arguments: [
        GraphError.outcomeUnknown(operation: "POST move", detail: "HTTP 504"), .serviceUnavailable(status: 503),
        .transport(CurlError(code: 7, message: "refused", host: "graph.microsoft.com")), .invalidResponse("truncated"), .throttled(retryAfter: nil),
        .service(status: 502, code: "BadGateway", message: ""),
    ])
    func passingFaultsRestBriefly(_ error: GraphError) {
        #expect(backoff.delay(after: error) == (30, false))
    }

    @Test func throttlingRestsAsLongAsGraphAsks() {
        #expect(backoff.delay(after: GraphError.throttled(retryAfter: 120)) == (120, false))
    }

    @Test(arguments: [
        GraphError.clientSecretExpired(clientID: "c"), .accessDenied(mailbox: "m", message: ""), .invalidMailbox(mailbox: "m"),
        .tokenRequestFailed(aadsts: 50_000, error: "invalid_request", description: ""), .service(status: 400, code: "ErrorInvalidRequest", message: ""),
    ])
    func accountProblemsNeedAttention(_ error: GraphError) {
        #expect(backoff.delay(after: error) == (300, true))
    }
}
