import FoundationEssentials
import Glibc

/// Replacing a file so that a reader sees the old version or the new one whole, never half.
enum AtomicFile {
    /// Writes `data` to a temporary file beside `path` with `permissions`, lets `check` refuse it (it
    /// gets the temporary file's path), then renames it over `path`. Nothing is left behind on failure.
    static func replace(_ path: String, with data: Data, permissions: Int,
                        checking check: (String) throws -> Void = { _ in }) throws {
        let target = URL(fileURLWithPath: path)
        let temporary = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString.prefix(8))").path
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: permissions]) else {
            throw AccountsError(problems: ["cannot write beside \(path)"])
        }
        do {
            try check(temporary)
            guard rename(temporary, path) == 0 else {
                throw AccountsError(problems: ["cannot replace \(path): \(String(cString: strerror(errno)))"])
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }
}
