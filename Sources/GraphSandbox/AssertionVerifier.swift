import Crypto
import _CryptoExtras
import Foundation

/// Checks a `client_assertion` JWT as Microsoft Entra does for certificate credentials: RS256 signature
/// by a certificate registered on the app (named by `x5t` or `x5t#S256`), the token endpoint as
/// audience, the client as issuer and subject, and a validity window that includes now.
enum AssertionVerifier {
    static func verify(_ jwt: String, clientID: String, audience: String, certificates: [SandboxSeed.Certificate]) -> Bool {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              let headerData = Base64URL.decode(parts[0]), let claimsData = Base64URL.decode(parts[1]),
              let signature = Base64URL.decode(parts[2]),
              let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any],
              let claims = try? JSONSerialization.jsonObject(with: claimsData) as? [String: Any],
              header["alg"] as? String == "RS256" else { return false }
        let now = Date().timeIntervalSince1970
        guard (claims["aud"] as? String) == audience,
              (claims["iss"] as? String)?.lowercased() == clientID, (claims["sub"] as? String)?.lowercased() == clientID,
              let exp = claims["exp"] as? Double, exp > now,
              (claims["nbf"] as? Double ?? 0) <= now + 300 else { return false }
        let signed = Data((parts[0] + "." + parts[1]).utf8)
        return certificates.contains { certificate in
            guard let der = pemBody(certificate.certificatePEM),
                  header["x5t"] as? String == Base64URL.encode(Data(Insecure.SHA1.hash(data: der)))
                    || header["x5t#S256"] as? String == Base64URL.encode(Data(SHA256.hash(data: der))),
                  let key = try? _RSA.Signing.PublicKey(pemRepresentation: certificate.publicKeyPEM) else { return false }
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: signed,
                                        padding: .insecurePKCS1v1_5)
        }
    }

    private static func pemBody(_ pem: String) -> Data? {
        Data(base64Encoded: pem.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined())
    }
}
