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
              let headerData = base64URLDecode(parts[0]), let claimsData = base64URLDecode(parts[1]),
              let signature = base64URLDecode(parts[2]),
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
                  header["x5t"] as? String == base64URL(Data(Insecure.SHA1.hash(data: der)))
                    || header["x5t#S256"] as? String == base64URL(Data(SHA256.hash(data: der))),
                  let key = try? _RSA.Signing.PublicKey(pemRepresentation: certificate.publicKeyPEM) else { return false }
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: signed,
                                        padding: .insecurePKCS1v1_5)
        }
    }

    private static func pemBody(_ pem: String) -> Data? {
        Data(base64Encoded: pem.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined())
    }

    private static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func base64URLDecode(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
