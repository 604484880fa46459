import FoundationEssentials
import Glibc
import MailpoolCore

/// How often each message failed, which were set aside, and which were delivered but not yet settled,
/// kept in the inbound store (`.attempts/<h>`, `.quarantined/<h>` and `.delivered/<h>`, `h` the
/// SHA-256 of the dedupe key), so that every worker sharing the store, and every restart, sees the
/// same. Only the worker holding the message's mailbox touches its entry.
struct MessageAttempts: Sendable {
    let root: String

    /// The store's `.attempts` and `.quarantined` directories exist once the store is opened.
    init(store: InboundStore) {
        root = store.root
    }

    /// Counts one more failure of the message; returns the failures so far.
    func recordFailure(_ dedupeKey: String) -> Int {
        let path = self.path(".attempts", dedupeKey)
        let failures = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0) } ?? 0
        try? String(failures + 1).write(toFile: path, atomically: true, encoding: .utf8)
        return failures + 1
    }

    /// Forgets the message's failures and its delivery (it went through and was settled, or was set
    /// aside): the server no longer lists it.
    func clear(_ dedupeKey: String) {
        unlink(path(".attempts", dedupeKey))
        unlink(path(".delivered", dedupeKey))
    }

    /// Records that the message's event was confirmed by the broker. Until the message is settled,
    /// its next reading settles it without publishing the event again: a settle that failed (a move
    /// answered 503, or 504 without having moved) must not turn into a second event.
    /// A mark that cannot be written (a full disk) costs at most a second event for the message, which
    /// events allow (they are published at least once, with the same dedupe key).
    func markDelivered(_ dedupeKey: String) {
        _ = FileManager.default.createFile(atPath: path(".delivered", dedupeKey), contents: nil)
    }

    func isDelivered(_ dedupeKey: String) -> Bool {
        access(path(".delivered", dedupeKey), F_OK) == 0
    }

    /// Marks the message set aside and forgets its failures. POP3, which leaves a set-aside message
    /// where it is, skips it by this mark; for the others it records what was done. A mark that cannot
    /// be written leaves a POP3 message to be tried, and set aside, once more.
    func markQuarantined(_ dedupeKey: String) {
        _ = FileManager.default.createFile(atPath: path(".quarantined", dedupeKey), contents: nil)
        clear(dedupeKey)
    }

    func isQuarantined(_ dedupeKey: String) -> Bool {
        access(path(".quarantined", dedupeKey), F_OK) == 0
    }

    private func path(_ directory: String, _ dedupeKey: String) -> String {
        "\(root)/\(directory)/\(MessageDigest.hash(dedupeKey.utf8).hexString)"
    }
}
