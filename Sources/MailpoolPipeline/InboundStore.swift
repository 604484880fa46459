import Crypto
import Foundation
import MailpoolCore
#if canImport(Glibc)
import Glibc
#endif

/// Where inbound MIME is kept: a directory, which may be a volume shared by containers.
///
/// Layout: `<root>/<account-slug>/<h[0..2]>/<h>.eml`, where `h` is the SHA-256 of the message's dedupe
/// key, so that a message fetched twice lands on the same file. Downloads go to
/// `<root>/.incoming/<uuid>.part` first (same file system), are flushed to disk, then renamed into
/// place — readers never see a partial file.
public struct InboundStore: Sendable {
    public let root: String

    public init(root: String) throws {
        self.root = root
        try FileManager.default.createDirectory(atPath: "\(root)/.incoming", withIntermediateDirectories: true)
    }

    /// Runs `download` with a fresh path for the download in progress and returns that path; if the
    /// download fails, its partial file is removed.
    public func receive(_ download: (String) async throws -> Void) async throws -> String {
        let incoming = "\(root)/.incoming/\(UUID().uuidString.lowercased()).part"
        do {
            try await download(incoming)
        } catch {
            unlink(incoming)
            throw error
        }
        return incoming
    }

    /// Moves a finished download into place; returns its path relative to the root, size and SHA-256.
    public func commit(_ incoming: String, accountSlug: String, dedupeKey: String) throws -> (path: String, size: Int, sha256: String) {
        let (size, digest) = try Self.digest(of: incoming)
        let key = SHA256.hash(data: Data(dedupeKey.utf8)).hexString
        let directory = "\(accountSlug)/\(key.prefix(2))"
        try FileManager.default.createDirectory(atPath: "\(root)/\(directory)", withIntermediateDirectories: true)
        let relative = "\(directory)/\(key).eml"
        guard rename(incoming, "\(root)/\(relative)") == 0 else {
            throw StoreError(message: "cannot move the download into \(relative): \(String(cString: strerror(errno)))")
        }
        Self.syncDirectory("\(root)/\(directory)")
        return (relative, size, digest)
    }

    static func digest(of path: String) throws -> (Int, String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw StoreError(message: "cannot read \(path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += chunk.count
        }
        return (size, hasher.finalize().hexString)
    }

    private static func syncDirectory(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}

public struct StoreError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { "inbound store: \(message)" }
}
