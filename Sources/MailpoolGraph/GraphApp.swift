import MailpoolCore

/// An Azure app registration used with the client-credentials flow (application permissions
/// Mail.ReadWrite and Mail.Send, admin consent granted).
public struct GraphApp: Sendable {
    /// Directory (tenant) ID.
    public var tenantID: String
    /// Application (client) ID.
    public var clientID: String
    public var credential: ClientCredential

    public init(tenantID: String, clientID: String, credential: ClientCredential) {
        self.tenantID = tenantID
        self.clientID = clientID
        self.credential = credential
    }
}

/// How the app proves its identity to the token endpoint.
public enum ClientCredential: Sendable {
    /// A client secret's Value (not its Secret ID).
    case secret(Secret)
    /// A certificate uploaded to the app registration: the token request carries a `client_assertion`
    /// JWT signed with its private key.
    case certificate(ClientCertificate)
}

/// A certificate credential: the certificate (PEM, for its thumbprint) and its RSA private key (PEM).
public struct ClientCertificate: Sendable {
    public var certificatePEM: String
    public var privateKeyPEM: Secret

    public init(certificatePEM: String, privateKeyPEM: Secret) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }
}
