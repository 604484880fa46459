import FoundationEssentials
import Logging
import MailpoolCore
import MailpoolCurl

/// Microsoft Graph for one app registration in one cloud. Cheap to create: the HTTP engine, the token
/// cache and the per-mailbox limit live in the shared ``GraphContext``.
///
/// Every request carries `Prefer: IdType="ImmutableId"`, so message IDs survive moves. Answers 429,
/// 503 and 504 are retried after `Retry-After` (or backoff); a 401 `InvalidAuthenticationToken` makes
/// the client drop its token and retry once with a fresh one.
///
/// A request that is not idempotent (sendMail, send, creating a draft or an attachment, move) is
/// repeated only when Graph certainly did not carry it out: after a 401 or a 429 (refused before any
/// work), or a connection that was never made. A lost answer, a timeout or a 5xx (Graph answers 504
/// after doing the work) ends in ``GraphError/outcomeUnknown(operation:detail:)``, and libcurl is not
/// allowed to re-send it by itself either (see `HTTPRequest.repeatable`).
public struct GraphClient: Sendable {
    public let app: GraphApp
    public let cloud: GraphCloud
    public let context: GraphContext

    public init(app: GraphApp, cloud: GraphCloud, context: GraphContext) {
        self.app = app
        self.cloud = cloud
        self.context = context
    }

    /// A Graph request for a mailbox's data.
    struct Call: Sendable {
        var method = "GET"
        /// A path under `/v1.0`, or an absolute link Graph returned (treated as opaque).
        var path: String
        var body: [UInt8]? = nil
        var contentType: String? = nil
        var headers: [(name: String, value: String)] = []
        var sink: ResponseSink = .memory
        /// Safe to repeat after a dropped connection (GET, PATCH of a flag, ...). sendMail is not.
        var idempotent = true
        /// Checked when the mailbox's limit lets the request go: false withholds it (nothing is sent).
        var onlyIf: (@Sendable () -> Bool)? = nil

        /// How errors name the request: `POST sendMail`, `POST send`.
        var operation: String {
            "\(method) \(path.split(separator: "?").first?.split(separator: "/").last ?? "")"
        }
    }

    /// Performs `call` with authentication, the mailbox's request limit and the retry policy.
    func perform(_ call: Call, mailbox: String) async throws(GraphError) -> CurlResponse {
        var attempt = 0
        var renewedToken = false
        while true {
            attempt += 1
            let token = try await context.tokens.token(for: app, cloud: cloud)
            var headers: [(name: String, value: String)] = [
                ("Authorization", "Bearer \(token.value.value)"), ("Prefer", "IdType=\"ImmutableId\""),
                ("Accept", "application/json"),
            ]
            if let contentType = call.contentType { headers.append(("Content-Type", contentType)) }
            // A download into a file (a message's MIME, maybe 150 MB) is bounded by its pace, not its length.
            let streams = if case .file = call.sink { true } else { false }
            let request = HTTPRequest(method: call.method, url: url(call.path), headers: headers + call.headers,
                                      body: call.body, timeout: streams ? 0 : context.requestTimeout, repeatable: call.idempotent,
                                      caFile: context.caFile, stallTimeout: streams ? context.stallTimeout : nil)
            let response: CurlResponse
            do {
                response = try await context.gate.withSlot(mailbox) { [engine = context.engine, call] in
                    if let onlyIf = call.onlyIf, !onlyIf() { throw GraphError.withheld(operation: call.operation) }
                    return try await engine.perform(request, into: call.sink)
                }
            } catch let error as CurlError {
                // A request that may have been carried out is repeated only if repeating it is harmless.
                if !call.idempotent, error.mayHaveBeenProcessed {
                    throw .outcomeUnknown(operation: call.operation, detail: error.description)
                }
                guard error.isTransient, attempt < context.retry.maxAttempts else { throw .transport(error) }
                try await pause(context.retry.backoff.delay(forAttempt: attempt - 1))
                continue
            } catch let error as GraphError {
                throw error
            } catch {
                throw .invalidResponse("\(error)")
            }
            GraphMetrics.request(method: call.method, path: call.path, status: response.status)
            if let retryAfter = response.retryAfter, response.status == 429 || response.status >= 500 { GraphMetrics.retryAfter(retryAfter) }
            switch response.status {
            case 200..<300:
                return response
            case 401 where !renewedToken && response.graphErrorCode == "InvalidAuthenticationToken":
                await context.tokens.invalidate(token, for: app, cloud: cloud)
                renewedToken = true
                attempt -= 1
            case 500..<600 where !call.idempotent:
                // Graph answers 504 (and other 5xx) after carrying a request out as well as before.
                throw .outcomeUnknown(operation: call.operation, detail: "HTTP \(response.status) \(response.graphErrorCode ?? "")")
            case 429, 503, 504:
                // 429 is a refusal before any work, so even a request that is not idempotent may go again.
                let retryAfter = response.retryAfter
                guard attempt < context.retry.maxAttempts, (retryAfter ?? 0) <= context.retry.maxRetryAfter else {
                    throw response.status == 429 ? .throttled(retryAfter: retryAfter) : .serviceUnavailable(status: response.status)
                }
                context.logger.debug("Graph asked to wait", metadata: [
                    "status": "\(response.status)", "retry_after": "\(retryAfter.map { "\($0)" } ?? "-")", "attempt": "\(attempt)"])
                try await pause(retryAfter ?? context.retry.backoff.delay(forAttempt: attempt - 1))
            default:
                throw GraphError(response: response, mailbox: mailbox)
            }
        }
    }

    /// Performs `call` and decodes its JSON body.
    func perform<T: Decodable>(_ call: Call, mailbox: String, as type: T.Type) async throws(GraphError) -> T {
        let response = try await perform(call, mailbox: mailbox)
        do {
            return try JSONDecoder().decode(type, from: Data(response.body))
        } catch {
            throw .invalidResponse("\(T.self) not as documented: \(error)")
        }
    }

    private func url(_ path: String) -> String {
        path.hasPrefix("https://") || path.hasPrefix("http://") ? path : "\(cloud.graph)/v1.0\(path)"
    }

    private func pause(_ seconds: Double) async throws(GraphError) {
        do {
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        } catch {
            throw .cancelled
        }
    }

    /// `/users/{mailbox}`: the path prefix of a mailbox's resources.
    static func user(_ mailbox: String) -> String { "/users/\(mailbox.percentEncoded)" }
}

extension GraphError {
    /// Maps a Graph error response (`{"error":{"code":…,"message":…}}`).
    init(response: CurlResponse, mailbox: String) {
        let detail = response.graphError
        let code = detail?.code ?? "HTTP\(response.status)"
        let message = detail?.message ?? ""
        switch (response.status, code) {
        case (_, "ErrorInvalidUser"): self = .invalidMailbox(mailbox: mailbox)
        case (_, "MailboxNotEnabledForRESTAPI"): self = .mailboxNotEnabled(mailbox: mailbox)
        case (403, _): self = .accessDenied(mailbox: mailbox, message: message)
        case (401, _): self = .unauthorized(message: message)
        default: self = .service(status: response.status, code: code, message: message)
        }
    }
}

extension CurlResponse {
    /// Graph's error body: `{"error": {"code": …, "message": …}}`.
    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            let code: String?
            let message: String?
        }

        let error: Detail?
    }

    /// The body's `error`, decoded on each call: read it once where both fields are needed.
    var graphError: ErrorBody.Detail? {
        (try? JSONDecoder().decode(ErrorBody.self, from: Data(body)))?.error
    }

    var graphErrorCode: String? { graphError?.code }
}
