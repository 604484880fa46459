import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Synchronization

/// The accounts from a file, kept current: ``reloadIfChanged()`` rereads the file when it, or a secret or
/// certificate file it names, changes, so that activating, deactivating or adding an account, or rotating
/// a secret, takes effect in running processes without a restart. Files are compared by what their
/// path resolves to (device, inode, size, modification and change times), so that a Kubernetes
/// ConfigMap or Secret update, which swaps a `..data` symlink, is seen. A file that no longer validates
/// is reported and the last good accounts stay in force.
public final class AccountCatalog: Sendable {
    public let path: String
    private let checkInterval: Duration
    private let environment: [String: String]
    private let logger: Logger
    private let state: Mutex<State>

    private struct State {
        var accounts: Accounts
        var stamp: [FileStamp?]
        /// When the files were last looked at; changes are checked at most every `checkInterval`.
        var checked: ContinuousClock.Instant
    }

    /// Accounts as loaded from one version of the file.
    struct Accounts {
        var list: [EmailAccount]
        var defaultNotificationName: String?
        /// The accounts file and every secret or certificate file it names.
        var sources: [String]
    }

    /// Loads and validates `path`; throws ``AccountsError`` listing every problem. Changes are looked
    /// for at most every `checkInterval`.
    public init(path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                checkInterval: Duration = .milliseconds(100), logger: Logger = Logger(label: "mailpool.accounts")) throws {
        self.path = path
        self.checkInterval = checkInterval
        self.environment = environment
        self.logger = logger
        let accounts = try Self.load(path: path, environment: environment, logger: logger)
        state = Mutex(State(accounts: accounts, stamp: accounts.sources.map(FileStamp.init(path:)), checked: .now))
    }

    /// The accounts in force.
    public var accounts: [EmailAccount] { state.withLock { $0.accounts.list } }

    public func account(named name: String) -> EmailAccount? {
        accounts.first { $0.name == name }
    }

    /// The account that sends notifications when a request names none.
    public var defaultNotificationAccount: EmailAccount? {
        let accounts = state.withLock { $0.accounts }
        return accounts.defaultNotificationName.flatMap { name in accounts.list.first { $0.name == name } }
            ?? accounts.list.first(where: \.useForNotification)
    }

    /// Rereads the file if it changed (looking at most every `checkInterval`, so that calling this for
    /// every job costs nothing). Returns true when new accounts took effect.
    @discardableResult
    public func reloadIfChanged() -> Bool {
        let now = ContinuousClock.now
        let due = state.withLock { state in
            guard now - state.checked >= checkInterval else { return false }
            state.checked = now
            return true
        }
        guard due else { return false }
        let sources = state.withLock { $0.accounts.sources }
        guard sources.map(FileStamp.init(path:)) != state.withLock({ $0.stamp }) else { return false }
        // Stamp the files before reading them: a change made while they are read is seen next time.
        let stamp = sources.map(FileStamp.init(path:))
        do {
            let accounts = try Self.load(path: path, environment: environment, logger: logger)
            // Files the new accounts name for the first time are stamped as read now.
            let newStamp = accounts.sources == sources ? stamp : accounts.sources.map(FileStamp.init(path:))
            state.withLock { $0.accounts = accounts; $0.stamp = newStamp }
            logger.info("accounts reloaded", metadata: ["count": "\(accounts.list.count)"])
            return true
        } catch {
            state.withLock { $0.stamp = stamp }  // report once per change, keep the last good accounts
            logger.error("accounts file changed but is invalid; keeping the previous accounts", metadata: ["error": "\(error)"])
            return false
        }
    }

    static func load(path: String, environment: [String: String], logger: Logger) throws -> Accounts {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AccountsError(problems: ["cannot read the accounts file \(path)"])
        }
        let file: AccountsFile
        do {
            file = try JSONDecoder().decode(AccountsFile.self, from: data)
        } catch {
            throw AccountsError(problems: ["\(path) is not a valid accounts file: \(Self.explain(error))"])
        }
        var validator = AccountsValidator(environment: environment)
        let accounts = validator.validate(file)
        for warning in validator.warnings { logger.warning("\(warning)") }
        guard validator.problems.isEmpty else { throw AccountsError(problems: validator.problems) }
        return Accounts(list: accounts, defaultNotificationName: file.defaultNotificationAccount, sources: [path] + validator.sourceFiles)
    }

    private static func explain(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context), DecodingError.typeMismatch(_, let context),
             DecodingError.valueNotFound(_, let context), DecodingError.keyNotFound(_, let context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return "\(path.isEmpty ? "" : "at \(path): ")\(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}

/// What a path resolves to (symlinks followed), to notice changes cheaply: a replaced file has a new
/// inode, an edited one a new size or time.
struct FileStamp: Equatable, Sendable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let modified: timespec
    let changed: timespec

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = info.st_mtim
        changed = info.st_ctim
    }

    static func == (lhs: FileStamp, rhs: FileStamp) -> Bool {
        lhs.device == rhs.device && lhs.inode == rhs.inode && lhs.size == rhs.size
            && lhs.modified.tv_sec == rhs.modified.tv_sec && lhs.modified.tv_nsec == rhs.modified.tv_nsec
            && lhs.changed.tv_sec == rhs.changed.tv_sec && lhs.changed.tv_nsec == rhs.changed.tv_nsec
    }
}
