import COpenSSL

/// An RSA private key read from PEM (PKCS #1 or PKCS #8, unencrypted), signing RS256
/// (RSASSA-PKCS1-v1_5 with SHA-256) through OpenSSL's libcrypto.
final class RSASigningKey {
    private let key: OpaquePointer

    /// Keys shorter than this are refused, as Entra refuses them.
    static let minimumBits: Int32 = 2048

    /// The key in `pem`; nil when it is not an unencrypted RSA private key of at least 2048 bits.
    init?(pem: String) {
        let parsed: OpaquePointer? = Array(pem.utf8).withUnsafeBufferPointer { buffer in
            guard let input = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(input) }
            // A passphrase callback that answers none: OpenSSL's default would prompt on the terminal.
            return PEM_read_bio_PrivateKey(input, nil, { _, _, _, _ in 0 }, nil)
        }
        guard let parsed else {
            ERR_clear_error()
            return nil
        }
        guard EVP_PKEY_get_base_id(parsed) == EVP_PKEY_RSA, EVP_PKEY_get_bits(parsed) >= Self.minimumBits else {
            EVP_PKEY_free(parsed)
            return nil
        }
        key = parsed
    }

    deinit {
        EVP_PKEY_free(key)
    }

    /// The RS256 signature of `message`; nil if libcrypto fails.
    func signature(for message: [UInt8]) -> [UInt8]? {
        guard let context = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(context) }
        var length = 0
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1,
              EVP_DigestSign(context, nil, &length, message, message.count) == 1 else {
            ERR_clear_error()
            return nil
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else {
            ERR_clear_error()
            return nil
        }
        signature.removeLast(signature.count - length)
        return signature
    }
}
