import Foundation
import HTTPTypes
import Hummingbird
import MailpoolCore

/// The sandbox's HTTP surface. Graph routes (`/v1.0/...`) authenticate the bearer token, resolve the
/// mailbox, check permissions and limits, then run; the token route and admin routes stand apart.
struct SandboxRoutes: Sendable {
    let state: SandboxState

    func register(on router: Router<SandboxContext>) {
        registerToken(on: router)
        registerMail(on: router)
        registerSend(on: router)
        registerAdmin(on: router)
    }

    /// Runs a Graph handler for the mailbox in the `:user` path parameter.
    func graph(_ request: Request, _ context: SandboxContext, permission: String, isSend: Bool = false,
               _ handler: (String) async throws(GraphFailure) -> Response) async -> Response {
        let user = context.parameters.get("user").map { $0.percentDecoded ?? $0 } ?? ""
        let bearer = request.headers[.authorization].flatMap { header -> String? in
            header.lowercased().hasPrefix("bearer ") ? String(header.dropFirst(7)) : nil
        }
        do throws(GraphFailure) {
            let (usage, mailbox, pause) = try await state.begin(bearer: bearer, user: user, permission: permission, isSend: isSend)
            if let pause { try? await Task.sleep(for: .milliseconds(pause)) }
            do {
                let response = try await handler(mailbox)
                await state.release(usage: usage)
                return response
            } catch {
                await state.release(usage: usage)
                throw error
            }
        } catch {
            return error.response
        }
    }

    /// `scheme://host` the client used, for links in responses.
    static func base(of request: Request) -> String {
        (request.head.scheme ?? "http") + "://" + (request.head.authority ?? "127.0.0.1")
    }

    static func wantsImmutableIDs(_ request: Request) -> Bool {
        request.headers[values: .prefer].contains { $0.contains("IdType=\"ImmutableId\"") }
    }

    /// `Prefer: odata.maxpagesize=N`.
    static func maxPageSize(_ request: Request) -> Int? {
        for value in request.headers[values: .prefer] {
            for part in value.split(separator: ",") {
                let item = String(part).trimmingCharacters(in: .whitespaces)
                if item.hasPrefix("odata.maxpagesize=") { return Int(item.dropFirst("odata.maxpagesize=".count)) }
            }
        }
        return nil
    }

    static func body(_ request: Request, limit: Int) async throws(GraphFailure) -> Data {
        do {
            var buffer = try await request.body.collect(upTo: limit)
            return Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
        } catch {
            throw GraphFailure(status: 413, code: "RequestBodyTooLarge",
                               message: "The maximum request length supported is \(limit / 1024 / 1024)MB.")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(GraphFailure) -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw GraphFailure(status: 400, code: "RequestBodyRead", message: "Unable to read JSON request payload.")
        }
    }
}

extension HTTPField.Name {
    static let prefer = Self("Prefer")!
    static let requestID = Self("request-id")!
}
