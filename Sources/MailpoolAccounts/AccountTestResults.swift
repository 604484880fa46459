import FoundationEssentials

/// The outcome of the latest `mailpool accounts test` of each account's sides, kept in a JSON file
/// beside the accounts file (`accounts.json.tests`, with the accounts file's permissions), so that
/// activation can require a passing test of the configuration being activated.
public struct AccountTestResults: Sendable {
    /// One test's outcome.
    public struct Result: Codable, Sendable, Equatable {
        public let passed: Bool
        public let at: Date
        /// What the test found, or why it failed.
        public let detail: String
        /// ``AccountsFileEditor/fingerprint(account:side:)`` of the side when it was tested.
        public let fingerprint: String

        public init(passed: Bool, at: Date, detail: String, fingerprint: String) {
            self.passed = passed
            self.at = at
            self.detail = detail
            self.fingerprint = fingerprint
        }
    }

    public let path: String

    /// The results kept for the accounts file at `accountsPath`.
    public init(accountsPath: String) {
        path = accountsPath + ".tests"
    }

    /// The latest result of `side` of `account`, if it was ever tested.
    public func latest(account: String, side: AccountSide) -> Result? {
        all()[account]?[side.rawValue]
    }

    /// The latest result of every side ever tested, by account, from one reading of the file.
    public func latest() -> [String: [AccountSide: Result]] {
        all().mapValues { sides in
            Dictionary(uniqueKeysWithValues: sides.compactMap { key, result in AccountSide(rawValue: key).map { ($0, result) } })
        }
    }

    /// Records a result, replacing the file atomically.
    public func record(_ result: Result, account: String, side: AccountSide, permissions: Int) throws {
        var results = all()
        results[account, default: [:]][side.rawValue] = result
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try AtomicFile.replace(path, with: try encoder.encode(results), permissions: permissions)
    }

    private func all() -> [String: [String: Result]] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return FileManager.default.contents(atPath: path).flatMap { try? decoder.decode([String: [String: Result]].self, from: $0) } ?? [:]
    }
}
