import Foundation

/// Base64url without padding (RFC 4648 §5): the parts of a client assertion JWT and the sandbox's
/// delta and skip tokens. Written apart from the Graph client's encoder on purpose: the sandbox checks
/// the client's JWTs, and a shared encoder would agree with itself.
enum Base64URL {
    static func encode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Nil when `text` is not base64url.
    static func decode(_ text: some StringProtocol) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
