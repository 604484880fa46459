import COpenSSL

/// A SHA-256 or SHA-1 digest computed by OpenSSL's libcrypto, which every mailpool process loads
/// anyway for libcurl's TLS. (swift-crypto would link all of Foundation into the executable.)
public final class MessageDigest {
    /// The hash function.
    public enum Algorithm: Sendable {
        /// SHA-256: dedupe keys, file and record digests, certificate thumbprints (`x5t#S256`).
        case sha256
        /// SHA-1: only the `x5t` certificate thumbprint Entra still reads.
        case sha1

        fileprivate var function: OpaquePointer {
            switch self {
            case .sha256: EVP_sha256()
            case .sha1: EVP_sha1()
            }
        }
    }

    private let context: OpaquePointer

    /// A digest with nothing hashed yet.
    public init(_ algorithm: Algorithm = .sha256) {
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, algorithm.function, nil) == 1 else {
            fatalError("libcrypto cannot start a \(algorithm) digest")
        }
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    /// Hashes `bytes` after everything hashed so far.
    public func update(_ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            _ = EVP_DigestUpdate(context, buffer.baseAddress, buffer.count)
        }
        if done == nil {
            Array(bytes).withUnsafeBufferPointer { buffer in _ = EVP_DigestUpdate(context, buffer.baseAddress, buffer.count) }
        }
    }

    /// The digest of everything hashed; the digest cannot be updated afterwards.
    public func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = EVP_DigestFinal_ex(context, &digest, &length)
        digest.removeLast(digest.count - Int(length))
        return digest
    }

    /// The digest of `bytes`.
    public static func hash(_ bytes: some Collection<UInt8>, _ algorithm: Algorithm = .sha256) -> [UInt8] {
        let digest = MessageDigest(algorithm)
        digest.update(bytes)
        return digest.finalize()
    }
}
