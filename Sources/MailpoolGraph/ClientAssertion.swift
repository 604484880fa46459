import FoundationEssentials
import MailpoolCore

/// The `client_assertion` JWT for a certificate credential: RS256-signed with the certificate's private
/// key, `x5t` and `x5t#S256` naming the certificate, audience the token endpoint, valid for 10 minutes.
enum ClientAssertion {
    static func make(certificate: ClientCertificate, clientID: String, audience: String,
                     now: Date = Date()) throws(GraphError) -> String {
        guard let der = pemBody(certificate.certificatePEM) else {
            throw .invalidClientCertificate(clientID: clientID, detail: "the certificate is not PEM")
        }
        guard let key = RSASigningKey(pem: certificate.privateKeyPEM.value) else {
            throw .invalidClientCertificate(
                clientID: clientID, detail: "the private key is not an unencrypted RSA key of at least \(RSASigningKey.minimumBits) bits in PEM")
        }
        let header: [String: String] = [
            "alg": "RS256", "typ": "JWT",
            "x5t": base64URL(Data(MessageDigest.hash(der, .sha1))),
            "x5t#S256": base64URL(Data(MessageDigest.hash(der))),
        ]
        let issued = Int(now.timeIntervalSince1970)
        let claims = Claims(aud: audience, iss: clientID, sub: clientID, jti: UUID().uuidString,
                            iat: issued, nbf: issued, exp: issued + 600)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let encodedHeader = try? encoder.encode(header), let encodedClaims = try? encoder.encode(claims),
              case let signingInput = base64URL(encodedHeader) + "." + base64URL(encodedClaims),
              let signature = key.signature(for: Array(signingInput.utf8)) else {
            throw .invalidClientCertificate(clientID: clientID, detail: "signing failed")
        }
        return signingInput + "." + base64URL(Data(signature))
    }

    /// The registered claims Entra reads from a client assertion.
    private struct Claims: Encodable {
        let aud: String
        let iss: String
        let sub: String
        let jti: String
        let iat: Int
        let nbf: Int
        let exp: Int
    }

    /// The DER bytes inside a PEM block.
    static func pemBody(_ pem: String) -> Data? {
        let body = pem.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
        return Data(base64Encoded: body)
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacing("+", with: "-")
            .replacing("/", with: "_")
            .replacing("=", with: "")
    }
}
