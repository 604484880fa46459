/// Graph's well-known mail folder names, which stand for the folder IDs in URLs and `destinationId`.
enum WellKnownFolder {
    static let names: [String: String] = [
        "inbox": "Inbox", "deleteditems": "Deleted Items", "sentitems": "Sent Items", "drafts": "Drafts",
        "archive": "Archive", "junkemail": "Junk Email", "outbox": "Outbox",
    ]

    /// The folder's ID as served in `parentFolderId`.
    static func id(_ name: String) -> String { "AQMkADAwATNiZmYAZC1folder-\(name)" }

    /// The well-known name for a name or an ID, nil when it is neither.
    static func resolve(_ nameOrID: String) -> String? {
        let lowered = nameOrID.lowercased()
        if names[lowered] != nil { return lowered }
        return names.keys.first { id($0) == nameOrID }
    }
}
