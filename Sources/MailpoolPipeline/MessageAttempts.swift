import FoundationEssentials
import Glibc
import MailpoolCore

/// How often each message failed, which were set aside, whose event a publish was started for, and
/// which were delivered but not yet settled, kept in the inbound store (`.attempts/<h>`,
/// `.quarantined/<h>`, `.publishing/<h>` and `.delivered/<h>`, `h` the SHA-256 of the dedupe key), so
/// that every worker sharing the store, and every restart, sees the same. Only the worker holding the
/// message's mailbox touches its entry.
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
        unlink(path(".publishing", dedupeKey))
        unlink(path(".delivered", dedupeKey))
    }

    /// Records, before the message's event is first published, that a copy may reach consumers from
    /// now on. A mark that cannot be written (a full disk) costs a repeated event its
    /// `possibleRepeat`, nothing more.
    func markPublishing(_ dedupeKey: String) {
        mark(".publishing", dedupeKey)
    }

    /// Whether a publish of the message's event was started before (by any worker or process).
    func wasPublishing(_ dedupeKey: String) -> Bool {
        access(path(".publishing", dedupeKey), F_OK) == 0
    }

    /// Records that the message's event was confirmed by the broker. Until the message is settled,
    /// its next reading settles it without publishing the event again: a settle that failed (a move
    /// answered 503, or 504 without having moved) must not turn into a second event.
    /// A mark that cannot be written (a full disk) costs at most a second event for the message, which
    /// events allow (they are published at least once, with the same dedupe key).
    func markDelivered(_ dedupeKey: String) {
        mark(".delivered", dedupeKey)
    }

    func isDelivered(_ dedupeKey: String) -> Bool {
        access(path(".delivered", dedupeKey), F_OK) == 0
    }

    /// Marks the message set aside and forgets its failures. POP3, which leaves a set-aside message
    /// where it is, skips it by this mark; for the others it records what was done. A mark that cannot
    /// be written leaves a POP3 message to be tried, and set aside, once more.
    func markQuarantined(_ dedupeKey: String) {
        mark(".quarantined", dedupeKey)
        clear(dedupeKey)
    }

    func isQuarantined(_ dedupeKey: String) -> Bool {
        access(path(".quarantined", dedupeKey), F_OK) == 0
    }

    /// Creates an empty mark file with one `open` (FileManager's `createFile` writes a temporary file
    /// and renames it, two marks per message were measurable in `mailpool-bench inbound`).
    private func mark(_ directory: String, _ dedupeKey: String) {
        let descriptor = open(path(directory, dedupeKey), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        if descriptor >= 0 { close(descriptor) }
    }

    private func path(_ directory: String, _ dedupeKey: String) -> String {
        "\(root)/\(directory)/\(MessageDigest.hash(dedupeKey.utf8).hexString)"
    }
}
