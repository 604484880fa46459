import FoundationEssentials
import Logging
import MailpoolCore

/// One side of an account.
public enum AccountSide: String, Sendable, CaseIterable, Codable {
    case inbound, outbound
}

/// Changes an account's Active flags in the accounts file, as an operator editing it by hand would:
/// only that `active` value changes, every other byte stays (order, spacing, secrets as written). The
/// new text must validate as an accounts file; it replaces the old atomically (a temporary file beside
/// it, then a rename, keeping its permissions), so a running pool's live reload sees either version
/// whole. A symlinked path is followed and the file it names is replaced.
public struct AccountsFileEditor: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// Sets `side` of `account` Active or not; returns false when it already was.
    @discardableResult
    public func setActive(_ active: Bool, account: String, side: AccountSide,
                          environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Bool {
        let (text, outline) = try read()
        let sideNode = try Self.side(side, of: account, in: outline)
        let replacement: String
        let range: Range<Int>
        if let flag = sideNode.member("active") {
            guard outline.text(flag) != "\(active)" else { return false }
            (replacement, range) = ("\(active)", flag.range)
        } else {
            guard active else { return false }  // absent means inactive
            let brace = sideNode.range.lowerBound + 1
            (replacement, range) = (#""active": true, "#, brace..<brace)
        }
        var bytes = outline.bytes
        bytes.replaceSubrange(range, with: Array(replacement.utf8))
        try replace(text: String(decoding: bytes, as: UTF8.self), original: text, environment: environment)
        return true
    }

    /// A fingerprint of `side` of `account` as written, its `active` flag left out: a test result holds
    /// while the fingerprint it was taken with matches. (SHA-256 of the members' text, so secrets written
    /// inline count too; the results file gets the accounts file's permissions.)
    public func fingerprint(account: String, side: AccountSide) throws -> String {
        let (_, outline) = try read()
        return Self.fingerprint(of: try Self.side(side, of: account, in: outline), in: outline)
    }

    /// ``fingerprint(account:side:)`` of every side of every account, from one reading of the file.
    public func fingerprints() throws -> [String: [AccountSide: String]] {
        let (_, outline) = try read()
        guard case .array(let accounts, _)? = outline.root.member("accounts") else { return [:] }
        var fingerprints: [String: [AccountSide: String]] = [:]
        for entry in accounts {
            guard let name = entry.member("name").flatMap(outline.string) else { continue }
            for side in AccountSide.allCases {
                if let node = entry.member(side.rawValue) { fingerprints[name, default: [:]][side] = Self.fingerprint(of: node, in: outline) }
            }
        }
        return fingerprints
    }

    private static func fingerprint(of side: JSONOutline.Node, in outline: JSONOutline) -> String {
        guard case .object(let members, _) = side else { return "" }
        let canonical = members.filter { $0.key != "active" }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\(outline.text($0.value))" }.joined(separator: "\n")
        return MessageDigest.hash(canonical.utf8).hexString
    }

    private func read() throws -> (String, JSONOutline) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AccountsError(problems: ["cannot read the accounts file \(path)"])
        }
        let text = String(decoding: data, as: UTF8.self)
        do {
            return (text, try JSONOutline(text))
        } catch {
            throw AccountsError(problems: ["\(path) is not JSON (at byte \(error.offset))"])
        }
    }

    /// The object of `side` of the account named `account`.
    private static func side(_ side: AccountSide, of account: String, in outline: JSONOutline) throws -> JSONOutline.Node {
        guard case .array(let accounts, _)? = outline.root.member("accounts") else {
            throw AccountsError(problems: ["the accounts file has no \"accounts\" list"])
        }
        guard let entry = accounts.first(where: { $0.member("name").flatMap(outline.string) == account }) else {
            throw AccountsError(problems: ["no account named '\(account)'"])
        }
        guard let node = entry.member(side.rawValue), case .object = node else {
            throw AccountsError(problems: ["account '\(account)' has no \(side.rawValue) side"])
        }
        return node
    }

    /// Validates `text` as an accounts file, then puts it in place of the file's current contents,
    /// unless the file changed since it was read.
    private func replace(text: String, original: String, environment: [String: String]) throws {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        let permissions = try FileManager.default.attributesOfItem(atPath: target.path)[.posixPermissions] as? Int ?? 0o600
        try AtomicFile.replace(target.path, with: Data(text.utf8), permissions: permissions) { temporary in
            var quiet = Logger(label: "mailpool.accounts")
            quiet.logLevel = .critical
            _ = try AccountCatalog.load(path: temporary, environment: environment, logger: quiet)
            guard FileManager.default.contents(atPath: target.path).map({ String(decoding: $0, as: UTF8.self) }) == original else {
                throw AccountsError(problems: ["\(path) changed while it was being edited; nothing was written, try again"])
            }
        }
    }
}
