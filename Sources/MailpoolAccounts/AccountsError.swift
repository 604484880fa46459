/// Everything wrong with an accounts file, each problem naming the account and the field.
public struct AccountsError: Error, Sendable, CustomStringConvertible {
    public let problems: [String]

    public var description: String {
        "the accounts file has \(problems.count) problem\(problems.count == 1 ? "" : "s"):\n"
            + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
