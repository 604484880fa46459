import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The IDs of notifications the mail server accepted, as files in a directory (a volume shared by the
/// pool's containers): `<root>/<h[0..2]>/<h>` with `h` the SHA-256 of the ID. A notification whose ID is
/// here is not sent again. Entries older than the retention are pruned, which bounds the window the
/// protection covers (7 days by default).
public struct DedupeStore: Sendable {
    public let root: String
    public let retention: Double

    public init(root: String, retention: Double = 7 * 24 * 3600) throws {
        self.root = root
        self.retention = retention
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    public func contains(_ id: String) -> Bool {
        FileManager.default.fileExists(atPath: path(id))
    }

    /// Records that `id` was accepted. The record survives the process being killed; it is not flushed
    /// to disk (an fsync per message would cap a worker at a few hundred a second), so an operating
    /// system crash may lose the last seconds of records — for Graph senders the Sent Items check still
    /// stops a resend then.
    public func record(_ id: String) throws {
        let file = path(id)
        var descriptor = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        if descriptor < 0 && errno == ENOENT {
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            descriptor = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        }
        guard descriptor >= 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file, NSUnderlyingErrorKey: POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)])
        }
        close(descriptor)
    }

    /// Removes entries older than the retention; returns how many.
    @discardableResult
    public func prune(now: Date = Date()) -> Int {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return 0 }
        var removed = 0
        for case let relative as String in enumerator {
            let full = "\(root)/\(relative)"
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: full),
                  attributes[.type] as? FileAttributeType == .typeRegular,
                  let modified = attributes[.modificationDate] as? Date,
                  now.timeIntervalSince(modified) > retention else { continue }
            if (try? FileManager.default.removeItem(atPath: full)) != nil { removed += 1 }
        }
        return removed
    }

    private func path(_ id: String) -> String {
        let hash = SHA256.hash(data: Data(id.utf8)).map { String(format: "%02x", $0) }.joined()
        return "\(root)/\(hash.prefix(2))/\(hash)"
    }
}
