import Foundation
import HTTPTypes
import Hummingbird
import MailpoolCore

/// `POST /{tenant}/oauth2/v2.0/token`: the client-credentials grant.
extension SandboxRoutes {
    func registerToken(on router: Router<SandboxContext>) {
        router.post("/:tenant/oauth2/v2.0/token") { request, context -> Response in
            let tenant = context.parameters.get("tenant") ?? ""
            let form: [String: String]
            do {
                form = Self.parseForm(String(decoding: try await Self.body(request, limit: 1 << 20), as: UTF8.self))
            } catch {
                return TokenFailure.missingParameter("grant_type").response
            }
            do throws(TokenFailure) {
                let tokenURL = Self.base(of: request) + "/\(tenant)/oauth2/v2.0/token"
                let (token, lifetime) = try await state.issueToken(tenant: tenant, form: form, tokenURL: tokenURL)
                var json: [String: Any] = ["token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                                           "access_token": token]
                if let refreshIn = await state.seed.tokenRefreshInSeconds { json["refresh_in"] = refreshIn }
                return GraphJSON.response(json)
            } catch {
                return error.response
            }
        }
    }

    /// `application/x-www-form-urlencoded` fields.
    static func parseForm(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s.map { $0 == "+" ? " " : $0 }).percentDecoded ?? String(s)
            }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
