import FoundationEssentials
import MailpoolCore
import MailpoolCurl

/// Requests app-only tokens: `POST {authority}/{tenant}/oauth2/v2.0/token` with
/// `grant_type=client_credentials` and `scope={resource}/.default`.
struct TokenEndpoint: Sendable {
    let engine: CurlEngine
    let caFile: String?

    func requestToken(app: GraphApp, cloud: GraphCloud) async throws(GraphError) -> AccessToken {
        let url = "\(cloud.authority)/\(app.tenantID.percentEncoded)/oauth2/v2.0/token"
        var fields = [("client_id", app.clientID), ("scope", cloud.scope), ("grant_type", "client_credentials")]
        switch app.credential {
        case .secret(let secret):
            fields.append(("client_secret", secret.value))
        case .certificate(let certificate):
            let assertion = try ClientAssertion.make(certificate: certificate, clientID: app.clientID, audience: url)
            fields.append(("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"))
            fields.append(("client_assertion", assertion))
        }
        let request = HTTPRequest(method: "POST", url: url,
                                  headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                  body: Array(FormEncoding.encode(fields).utf8), timeout: 30, caFile: caFile)
        let response: CurlResponse
        do {
            response = try await engine.perform(request)
        } catch let error as CurlError {
            GraphMetrics.tokenRequest("failed")
            throw .transport(error)
        } catch {
            GraphMetrics.tokenRequest("failed")
            throw .invalidResponse("\(error)")
        }
        guard response.status == 200 else {
            let error = Self.error(from: response, app: app)
            if case .clientSecretExpired = error { GraphMetrics.tokenRequest("secret-expired") } else { GraphMetrics.tokenRequest("refused") }
            throw error
        }
        GraphMetrics.tokenRequest("issued")
        guard let body = try? JSONDecoder().decode(TokenResponse.self, from: Data(response.body)) else {
            throw .invalidResponse("token response is not the documented JSON")
        }
        return AccessToken(value: Secret(body.access_token), expiresIn: body.expires_in, refreshIn: body.refresh_in)
    }

    /// Maps an error response; the AADSTS code comes from `error_codes`, else from the description.
    static func error(from response: CurlResponse, app: GraphApp) -> GraphError {
        if response.status == 429 || response.status >= 500 {
            return response.status == 429 ? .throttled(retryAfter: response.retryAfter) : .serviceUnavailable(status: response.status)
        }
        guard let body = try? JSONDecoder().decode(TokenErrorResponse.self, from: Data(response.body)) else {
            return .tokenRequestFailed(aadsts: nil, error: "HTTP \(response.status)", description: "no error details")
        }
        let firstLine = body.error_description.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let code = body.error_codes?.first ?? Self.aadsts(in: firstLine)
        switch code {
        case 7000222: return .clientSecretExpired(clientID: app.clientID)
        case 7000215: return .invalidClientSecret(clientID: app.clientID)
        case 700016: return .applicationNotFound(clientID: app.clientID, tenantID: app.tenantID)
        case 90002: return .tenantNotFound(tenantID: app.tenantID)
        case 7000112: return .applicationDisabled(clientID: app.clientID)
        case 700027, 700024, 700023, 50012:
            return .invalidClientCertificate(clientID: app.clientID, detail: firstLine)
        default: return .tokenRequestFailed(aadsts: code, error: body.error, description: firstLine)
        }
    }

    private static func aadsts(in text: String) -> Int? {
        guard let range = text.firstRange(of: "AADSTS") else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }
}

/// The token endpoint's success body.
struct TokenResponse: Decodable {
    let token_type: String
    let expires_in: Int
    let access_token: String
    let refresh_in: Int?
}

/// The token endpoint's error body.
struct TokenErrorResponse: Decodable {
    let error: String
    let error_description: String
    let error_codes: [Int]?
}

extension CurlResponse {
    /// `Retry-After` in seconds (Graph sends a number of seconds).
    var retryAfter: Double? { header("Retry-After").flatMap(Double.init) }
}
