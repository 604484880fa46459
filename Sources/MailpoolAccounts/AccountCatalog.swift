import Foundation
import Logging
import Synchronization

/// The accounts from a file, kept current: ``reloadIfChanged()`` rereads the file when its modification
/// time or size changes, so that activating, deactivating or adding an account takes effect in running
/// processes without a restart. A file that no longer validates is reported and the last good
/// accounts stay in force.
public final class AccountCatalog: Sendable {
    public let path: String
    private let environment: [String: String]
    private let logger: Logger
    private let state: Mutex<(accounts: [EmailAccount], stamp: FileStamp?)>

    /// Loads and validates `path`; throws ``AccountsError`` listing every problem.
    public init(path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                logger: Logger = Logger(label: "mailpool.accounts")) throws {
        self.path = path
        self.environment = environment
        self.logger = logger
        let stamp = FileStamp(path: path)
        let accounts = try Self.load(path: path, environment: environment, logger: logger)
        state = Mutex((accounts, stamp))
    }

    /// The accounts in force.
    public var accounts: [EmailAccount] { state.withLock { $0.accounts } }

    public func account(named name: String) -> EmailAccount? {
        accounts.first { $0.name == name }
    }

    /// The account that sends notifications when a request names none.
    public var defaultNotificationAccount: EmailAccount? {
        defaultNotificationName.flatMap(account(named:)) ?? accounts.first(where: \.useForNotification)
    }

    private var defaultNotificationName: String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return (try? JSONDecoder().decode(AccountsFile.self, from: data))?.defaultNotificationAccount
    }

    /// Rereads the file if it changed. Returns true when new accounts took effect.
    @discardableResult
    public func reloadIfChanged() -> Bool {
        let stamp = FileStamp(path: path)
        guard stamp != state.withLock({ $0.stamp }) else { return false }
        do {
            let accounts = try Self.load(path: path, environment: environment, logger: logger)
            state.withLock { $0 = (accounts, stamp) }
            logger.info("accounts reloaded", metadata: ["count": "\(accounts.count)"])
            return true
        } catch {
            state.withLock { $0.stamp = stamp }  // report once per change, keep the last good accounts
            logger.error("accounts file changed but is invalid; keeping the previous accounts", metadata: ["error": "\(error)"])
            return false
        }
    }

    static func load(path: String, environment: [String: String], logger: Logger) throws -> [EmailAccount] {
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
        return accounts
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

/// A file's modification time and size, to notice changes cheaply.
struct FileStamp: Equatable, Sendable {
    let modified: Date
    let size: Int

    init?(path: String) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let modified = attributes[.modificationDate] as? Date,
              let size = attributes[.size] as? Int else { return nil }
        self.modified = modified
        self.size = size
    }
}
