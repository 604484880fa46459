import Foundation
import HTTPTypes
import Hummingbird

/// Counts every request by method, route and status, and injects the configured faults into Graph
/// routes (`/v1.0/...`): before the work, 503s, 429s with `Retry-After` and dropped connections; after
/// it, lost responses, 504s and `Retry-After` on success. A lost response is counted with status 0.
/// (Slow responses are injected once a request is admitted, so that they count against the
/// concurrency limit.)
struct SandboxMiddleware: RouterMiddleware {
    typealias Context = SandboxContext
    let state: SandboxState

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let route = "\(request.method) \(Self.route(request.uri.path))"
        guard request.uri.path.hasPrefix("/v1.0/") else {
            let response = try await next(request, context)
            await state.record(route: route, status: response.status.code)
            return response
        }
        let (scripted, faults) = await state.nextFaults()
        var response: Response
        if let refusal = Self.refusal(scripted, faults) {
            response = refusal
        } else {
            response = try await next(request, context)
            switch Self.afterWork(scripted, faults) {
            case nil:
                break
            case .lostResponse:
                await state.record(route: route, status: 0)  // first, so that the count is there when the client sees the loss
                await context.dropConnection()
                return response
            case .status(let status):
                response = GraphFailure(status: status, code: status == 504 ? "GatewayTimeout" : "UnknownError",
                                        message: "The operation timed out before a response was received.").response
            case .retryAfterOnSuccess where (200..<300).contains(response.status.code):
                response.headers[.retryAfter] = "5"
            case .retryAfterOnSuccess:
                break
            }
        }
        response.headers[.requestID] = SandboxID.guid()
        await state.record(route: route, status: response.status.code)
        return response
    }

    /// What happens to a request after it was carried out.
    private enum AfterWork {
        case lostResponse
        case status(Int)
        case retryAfterOnSuccess
    }

    private static func afterWork(_ scripted: SandboxFaults.ScriptedFault?, _ faults: SandboxFaults) -> AfterWork? {
        if let scripted {
            if scripted.lostResponse == true { return .lostResponse }
            return scripted.statusAfterWork.map(AfterWork.status)
        }
        let roll = Double.random(in: 0..<1)
        if roll < faults.lostResponseRate { return .lostResponse }
        if roll < faults.lostResponseRate + faults.gatewayTimeoutRate { return .status(504) }
        if roll < faults.lostResponseRate + faults.gatewayTimeoutRate + faults.retryAfterOnSuccessRate { return .retryAfterOnSuccess }
        return nil
    }

    /// A refusal instead of the work: scripted, or drawn from the rates.
    private static func refusal(_ scripted: SandboxFaults.ScriptedFault?, _ faults: SandboxFaults) -> Response? {
        if let scripted {
            if scripted.drop == true { return Self.dropped }
            if let status = scripted.status {
                var failure = GraphFailure(status: status, code: status == 429 ? "ApplicationThrottled" : "ServiceUnavailable",
                                           message: status == 429 ? "Application is over its MailboxConcurrency limit."
                                               : "The service is temporarily unavailable. Please try again later.")
                failure.retryAfter = scripted.retryAfterSeconds
                return failure.response
            }
            return nil
        }
        let roll = Double.random(in: 0..<1)
        if roll < faults.serviceUnavailableRate {
            return GraphFailure(status: 503, code: "ServiceUnavailable",
                                message: "The service is temporarily unavailable. Please try again later.").response
        }
        if roll < faults.serviceUnavailableRate + faults.throttleRate {
            return GraphFailure.throttled("Application is over its MailboxConcurrency limit.",
                                          retryAfter: faults.throttleRetryAfterSeconds).response
        }
        if roll < faults.serviceUnavailableRate + faults.throttleRate + faults.dropRate {
            return Self.dropped
        }
        return nil
    }

    /// Headers promise more than is sent, then the connection closes: the client sees a dropped transfer.
    private static var dropped: Response {
        Response(status: .ok, headers: [.contentType: "application/json", .contentLength: "1000"],
                 body: ResponseBody { writer in
                     try await writer.write(ByteBuffer(string: "{\"value\":["))
                     throw DroppedConnection()
                 })
    }

    private struct DroppedConnection: Error {}

    /// The route template of a path: `/v1.0/users/:user/messages/:id/$value`, for counters.
    static func route(_ path: String) -> String {
        let segments = path.split(separator: "/").map(String.init)
        var result: [String] = []
        for (index, segment) in segments.enumerated() {
            let previous = index > 0 ? segments[index - 1] : ""
            switch previous {
            case "users": result.append(":user")
            case "mailFolders": result.append(":folder")
            case "messages" where segment != "delta": result.append(":id")
            case "attachments" where segment != "createUploadSession": result.append(":attachment")
            case "_upload": result.append(":session")
            case "mailboxes": result.append(":address")
            default:
                result.append(index == 0 && segments.count > 1 && segments[1] == "oauth2" ? ":tenant" : segment)
            }
        }
        return "/" + result.joined(separator: "/")
    }
}
