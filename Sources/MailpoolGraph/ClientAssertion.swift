import Crypto
import _CryptoExtras
import Foundation

/// The `client_assertion` JWT for a certificate credential: RS256-signed with the certificate's private
/// key, `x5t` and `x5t#S256` naming the certificate, audience the token endpoint, valid for 10 minutes.
enum ClientAssertion {
    static func make(certificate: ClientCertificate, clientID: String, audience: String,
                     now: Date = Date()) throws(GraphError) -> String {
        guard let der = pemBody(certificate.certificatePEM) else {
            throw .invalidClientCertificate(clientID: clientID, detail: "the certificate is not PEM")
        }
        let key: _RSA.Signing.PrivateKey
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: certificate.privateKeyPEM.value)
        } catch {
            throw .invalidClientCertificate(clientID: clientID, detail: "the private key is not an RSA key in PEM")
        }
        let header: [String: String] = [
            "alg": "RS256", "typ": "JWT",
            "x5t": base64URL(Data(Insecure.SHA1.hash(data: der))),
            "x5t#S256": base64URL(Data(SHA256.hash(data: der))),
        ]
        let issued = Int(now.timeIntervalSince1970)
        let claims: [String: any Sendable] = [
            "aud": audience, "iss": clientID, "sub": clientID, "jti": UUID().uuidString,
            "iat": issued, "nbf": issued, "exp": issued + 600,
        ]
        do {
            let signingInput = base64URL(try JSONSerialization.data(withJSONObject: header, options: .sortedKeys)) + "."
                + base64URL(try JSONSerialization.data(withJSONObject: claims, options: .sortedKeys))
            let signature = try key.signature(for: Data(signingInput.utf8), padding: .insecurePKCS1v1_5)
            return signingInput + "." + base64URL(signature.rawRepresentation)
        } catch {
            throw .invalidClientCertificate(clientID: clientID, detail: "signing failed")
        }
    }

    /// The DER bytes inside a PEM block.
    static func pemBody(_ pem: String) -> Data? {
        let body = pem.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
        return Data(base64Encoded: body)
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
