/// An error response the sandbox sends, in Graph's shape: `{"error":{"code":…,"message":…}}`.
struct GraphFailure: Error, Sendable {
    let status: Int
    let code: String
    let message: String
    var retryAfter: Int? = nil

    static func invalidToken(_ message: String) -> GraphFailure {
        GraphFailure(status: 401, code: "InvalidAuthenticationToken", message: message)
    }

    static func invalidUser(_ user: String) -> GraphFailure {
        GraphFailure(status: 404, code: "ErrorInvalidUser", message: "The requested user '\(user)' is invalid.")
    }

    static let accessDenied = GraphFailure(status: 403, code: "ErrorAccessDenied",
                                           message: "Access is denied. Check credentials and try again.")
    static let mailboxNotEnabled = GraphFailure(status: 404, code: "MailboxNotEnabledForRESTAPI",
                                                message: "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
    static let itemNotFound = GraphFailure(status: 404, code: "ErrorItemNotFound",
                                           message: "The specified object was not found in the store.")

    static func badRequest(_ message: String) -> GraphFailure {
        GraphFailure(status: 400, code: "ErrorInvalidRequest", message: message)
    }

    static func throttled(_ message: String, retryAfter: Int) -> GraphFailure {
        GraphFailure(status: 429, code: "ApplicationThrottled", message: message, retryAfter: retryAfter)
    }
}

/// A token endpoint refusal, in Microsoft Entra's shape (`error`, `error_description`, `error_codes`).
struct TokenFailure: Error, Sendable {
    let status: Int
    let error: String
    let aadsts: Int
    let description: String

    static func tenantNotFound(_ tenant: String) -> TokenFailure {
        TokenFailure(status: 400, error: "invalid_request", aadsts: 90002,
                     description: "Tenant '\(tenant)' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.")
    }

    static func applicationNotFound(_ client: String, tenant: String) -> TokenFailure {
        TokenFailure(status: 400, error: "unauthorized_client", aadsts: 700016,
                     description: "Application with identifier '\(client)' was not found in the directory '\(tenant)'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.")
    }

    static func invalidSecret(_ client: String) -> TokenFailure {
        TokenFailure(status: 401, error: "invalid_client", aadsts: 7000215,
                     description: "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '\(client)'.")
    }

    static func expiredSecret(_ client: String) -> TokenFailure {
        TokenFailure(status: 401, error: "invalid_client", aadsts: 7000222,
                     description: "The provided client secret keys for app '\(client)' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.")
    }

    static func disabled(_ client: String) -> TokenFailure {
        TokenFailure(status: 400, error: "unauthorized_client", aadsts: 7000112,
                     description: "Application '\(client)' is disabled.")
    }

    static let invalidAssertion = TokenFailure(status: 401, error: "invalid_client", aadsts: 700027,
                                               description: "Client assertion contains an invalid signature.")

    static func missingParameter(_ name: String) -> TokenFailure {
        TokenFailure(status: 400, error: "invalid_request", aadsts: 900144,
                     description: "The request body must contain the following parameter: '\(name)'.")
    }

    static func invalidScope(_ scope: String) -> TokenFailure {
        TokenFailure(status: 400, error: "invalid_scope", aadsts: 1002012,
                     description: "The provided value for scope \(scope) is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
    }

    static let unsupportedGrant = TokenFailure(status: 400, error: "unsupported_grant_type", aadsts: 70003,
                                               description: "The app requested an unsupported grant type.")
}
