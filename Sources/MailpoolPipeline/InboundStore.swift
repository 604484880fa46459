import FoundationEssentials
import MailpoolCore
#if canImport(Glibc)
import Glibc
#endif

/// Where inbound MIME is kept: a directory, which may be a volume shared by containers.
///
/// Layout: `<root>/<account-slug>/<h[0..2]>/<h>.eml`, where `h` is the SHA-256 of the message's dedupe
/// key, so that a message fetched twice lands on the same file. Downloads go to
/// `<root>/.incoming/<uuid>.part` first (same file system), are flushed to disk, then renamed into
/// place — readers never see a partial file. A `.part` file never outlives the work on it: it is
/// removed when its message fails at any step, and on start any left by a process that died (not
/// written for ``staleIncomingAge``) are removed.
public struct InboundStore: Sendable {
    public let root: String
    /// Free space below which the store counts as full.
    public let minimumFreeBytes: UInt64
    /// A `.part` file not written for this long belongs to a process that died.
    public static let staleIncomingAge: Double = 15 * 60

    public init(root: String, minimumFreeBytes: UInt64 = 1 << 20) throws {
        self.root = root
        self.minimumFreeBytes = minimumFreeBytes
        for directory in [".incoming", ".attempts", ".quarantined", ".publishing", ".delivered"] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(directory)", withIntermediateDirectories: true)
        }
        removeStaleDownloads()
    }

    /// Runs `download` with a fresh path for the download in progress, then `use` with that path; the
    /// file is gone afterwards whatever happened (``commit(_:accountSlug:dedupeKey:)`` moves it away).
    public func withDownload<T>(_ download: (String) async throws -> Void, _ use: (String) async throws -> T) async throws -> T {
        let incoming = "\(root)/.incoming/\(UUID().uuidString.lowercased()).part"
        defer { unlink(incoming) }
        try await download(incoming)
        return try await use(incoming)
    }

    /// Moves a finished download into place; returns its path relative to the root, size and SHA-256.
    public func commit(_ incoming: String, accountSlug: String, dedupeKey: String) throws -> (path: String, size: Int, sha256: String) {
        let (size, digest) = try Self.digest(of: incoming)
        let key = MessageDigest.hash(dedupeKey.utf8).hexString
        let directory = "\(accountSlug)/\(key.prefix(2))"
        try FileManager.default.createDirectory(atPath: "\(root)/\(directory)", withIntermediateDirectories: true)
        let relative = "\(directory)/\(key).eml"
        guard rename(incoming, "\(root)/\(relative)") == 0 else {
            throw StoreError.failed("cannot move the download into \(relative): \(String(cString: strerror(errno)))")
        }
        Self.syncDirectory("\(root)/\(directory)")
        return (relative, size, digest)
    }

    /// Why the store cannot take mail now (full or not writable), or nil when it can. Asked after a
    /// failure, so that a store problem is reported as one, not blamed on the mailbox being read.
    public func problem() -> StoreError? {
        var info = statvfs()
        guard statvfs(root, &info) == 0 else { return .unwritable(root: root, reason: String(cString: strerror(errno))) }
        if info.f_flag & UInt(ST_RDONLY) != 0 { return .unwritable(root: root, reason: "read-only file system") }
        guard access("\(root)/.incoming", W_OK) == 0 else { return .unwritable(root: root, reason: String(cString: strerror(errno))) }
        let free = UInt64(info.f_bavail) * UInt64(info.f_frsize)
        return free < minimumFreeBytes ? .full(root: root, freeBytes: free) : nil
    }

    /// Removes `.part` files nobody has written for ``staleIncomingAge`` (other processes sharing the
    /// store may be writing theirs).
    func removeStaleDownloads() {
        let directory = "\(root)/.incoming"
        let cutoff = Date().addingTimeInterval(-Self.staleIncomingAge)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasSuffix(".part") {
            let path = "\(directory)/\(name)"
            if let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date, modified < cutoff {
                unlink(path)
            }
        }
    }

    static func digest(of path: String) throws -> (Int, String) {
        guard let file = FileReader(path: path) else { throw StoreError.failed("cannot read \(path)") }
        let hasher = MessageDigest()
        var size = 0
        while case let chunk = try file.read(upTo: 1 << 20), !chunk.isEmpty {
            hasher.update(chunk)
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

/// The inbound store cannot take mail. Not a problem of any mailbox: fetching waits until it is fixed.
public enum StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Less free space than the store's minimum.
    case full(root: String, freeBytes: UInt64)
    /// Read-only, or not writable by this process.
    case unwritable(root: String, reason: String)
    /// A file operation failed.
    case failed(String)

    public var description: String {
        switch self {
        case .full(let root, let free): "inbound store \(root) is full (\(free) bytes free): free space; fetching resumes by itself"
        case .unwritable(let root, let reason): "inbound store \(root) is not writable (\(reason)); fetching resumes once it is"
        case .failed(let detail): "inbound store: \(detail)"
        }
    }
}
