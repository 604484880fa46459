import Metrics

/// The Graph client's metrics. The operation label is the request's kind (`GET messages`,
/// `POST messages/{id}/move`), never a message ID or a mailbox.
enum GraphMetrics {
    /// Path segments that name a kind of resource or action; any other segment is an ID.
    private static let resources: Set<Substring> = [
        "messages", "$value", "attachments", "move", "send", "sendMail", "mailFolders", "delta", "createUploadSession", "users",
    ]

    /// The longest name in ``resources``: a longer segment is an ID, without hashing it.
    private static let longestResource = resources.map(\.utf8.count).max() ?? 0

    /// The last three segments of the path after the mailbox, IDs replaced by `{id}`:
    /// `/users/a@b/messages/AAMk…/move` → `POST messages/{id}/move`. (Walks the path from its end on
    /// UTF-8 and never hashes an ID: splitting it and hashing a 150-character message ID per segment
    /// was 3 % of the notification worker's CPU.)
    static func operation(method: String, path: String) -> String {
        let bytes = path.utf8
        var end = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.endIndex
        var named: [Substring] = []  // last segment first
        while named.count < 3, end > bytes.startIndex {
            let start = bytes[..<end].lastIndex(of: UInt8(ascii: "/")).map(bytes.index(after:)) ?? bytes.startIndex
            let segment = path[start..<end]
            if segment == "users" { break }
            if !segment.isEmpty {
                let isResource = bytes.distance(from: start, to: end) <= longestResource && resources.contains(segment)
                named.append(isResource ? segment : "{id}")
            }
            end = start > bytes.startIndex ? bytes.index(before: start) : start
        }
        while named.last == "{id}" { named.removeLast() }
        return method + " " + named.reversed().joined(separator: "/")
    }

    static func request(method: String, path: String, status: Int) {
        let operation = operation(method: method, path: path)
        Counter(label: "mailpool_graph_requests_total", dimensions: [("operation", operation), ("status", String(status))]).increment()
        if status == 429 { Counter(label: "mailpool_graph_throttled_total", dimensions: [("operation", operation)]).increment() }
    }

    /// A `Retry-After` Graph asked for, in seconds.
    static func retryAfter(_ seconds: Double) {
        Recorder(label: "mailpool_graph_retry_after_seconds").record(seconds)
    }

    /// A token request's outcome: `issued`, `secret-expired` (AADSTS7000222), `refused` (Entra said no
    /// otherwise) or `failed` (no answer).
    static func tokenRequest(_ outcome: String) {
        Counter(label: "mailpool_token_requests_total", dimensions: [("outcome", outcome)]).increment()
    }
}
