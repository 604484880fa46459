import ArgumentParser
import FoundationEssentials
import MailpoolAccounts
import MailpoolCurl
import MailpoolGraph
import MailpoolPipeline

/// `mailpool accounts list|test|activate|deactivate`: the product's activation flow — create the
/// account inactive, test each side, then activate it (and deactivate the one it replaces).
struct AccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts", abstract: "Lists, tests, activates and deactivates email accounts.",
        subcommands: [List.self, Test.self, Activate.self, Deactivate.self])

    /// `--inbound` or `--outbound`, exactly one.
    struct SideOption: ParsableArguments {
        @Flag(help: "The inbound side.") var inbound = false
        @Flag(help: "The outbound side.") var outbound = false

        func validate() throws {
            guard inbound != outbound else { throw ValidationError("give exactly one of --inbound and --outbound") }
        }

        var side: AccountSide { inbound ? .inbound : .outbound }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lists the accounts: protocols, Active flags, notification flag (never secrets).")

        @OptionGroup var options: AccountsOptions

        func run() async throws {
            let catalog = try options.catalog()
            let results = AccountTestResults(accountsPath: catalog.path).latest()
            let fingerprints = (try? AccountsFileEditor(path: catalog.path).fingerprints()) ?? [:]
            print("NAME | INBOUND | OUTBOUND | NOTIFICATIONS")
            for account in catalog.accounts {
                func side(_ side: AccountSide, _ server: MailServer?, _ mailbox: String?, _ active: Bool?) -> String {
                    guard let server, let mailbox, let active else { return "-" }
                    return "\(server.protocolName) \(mailbox) \(active ? "active" : "inactive"), "
                        + Test.describe(results[account.name]?[side], current: fingerprints[account.name]?[side])
                }
                let notifications = account.useForNotification
                    ? (catalog.defaultNotificationAccount?.name == account.name ? "yes (default)" : "yes") : "no"
                print("\(account.name) | \(side(.inbound, account.inbound?.server, account.inbound?.mailbox, account.inbound?.active)) | "
                      + "\(side(.outbound, account.outbound?.server, account.outbound?.mailbox, account.outbound?.active)) | \(notifications)")
            }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Tests an account's inbound side (reads the Inbox, changes nothing) or outbound side (sends a test email to the mailbox itself).",
            discussion: "The result is kept beside the accounts file (<accounts>.tests); `accounts activate` requires a passing one.")

        @OptionGroup var options: AccountsOptions
        @Argument(help: "The account's name.") var name: String
        @OptionGroup var which: SideOption

        func run() async throws {
            let catalog = try options.catalog()
            guard let account = catalog.account(named: name) else {
                throw ValidationError("no account named '\(name)' in \(catalog.path)")
            }
            let side = which.side
            let fingerprint = try AccountsFileEditor(path: catalog.path).fingerprint(account: name, side: side)
            let context = GraphContext()
            defer { context.engine.shutdown() }
            let tester = AccountTester(clients: GraphClients(context: context))
            let outcome: Result<String, any Error>
            do {
                switch side {
                case .inbound:
                    let counts = try await tester.testInbound(account)
                    outcome = .success("\(account.inbound!.mailbox) has \(counts.total) messages in the Inbox (\(counts.unread) unread)")
                case .outbound:
                    let subject = try await tester.testOutbound(account)
                    outcome = .success("sent \"\(subject)\" from \(account.outbound!.mailbox) to itself")
                }
            } catch {
                outcome = .failure(error)
            }
            let detail = switch outcome {
            case .success(let detail): detail
            case .failure(let error): "\(error)"
            }
            let permissions = (try? FileManager.default.attributesOfItem(atPath: catalog.path)[.posixPermissions] as? Int) ?? 0o600
            try AccountTestResults(accountsPath: catalog.path).record(
                .init(passed: (try? outcome.get()) != nil, at: Date(), detail: detail, fingerprint: fingerprint),
                account: name, side: side, permissions: permissions)
            guard case .success = outcome else {
                print("\(side.rawValue) test of '\(name)' failed: \(detail)")
                throw ExitCode(1)
            }
            print("\(side.rawValue) OK: \(detail)")
        }

        /// A side's latest test, as `accounts list` shows it.
        static func describe(_ result: AccountTestResults.Result?, current fingerprint: String?) -> String {
            guard let result else { return "never tested" }
            let when = result.at.formatted(.iso8601)
            guard result.passed else { return "test FAILED \(when)" }
            return result.fingerprint == fingerprint ? "tested OK \(when)" : "tested OK \(when), changed since"
        }
    }

    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Makes one side of an account Active, in the accounts file; a running pool picks it up by itself.",
            discussion: "Refused unless that side's latest `accounts test` passed against its current configuration (--force overrides).")

        @OptionGroup var options: AccountsOptions
        @Argument(help: "The account's name.") var name: String
        @OptionGroup var which: SideOption
        @Flag(help: "Activate without a passing test.") var force = false

        func run() async throws {
            let catalog = try options.catalog()
            let side = which.side
            let editor = AccountsFileEditor(path: catalog.path)
            let current = try editor.fingerprint(account: name, side: side)
            let latest = AccountTestResults(accountsPath: catalog.path).latest(account: name, side: side)
            if !force {
                let refusal: String? = switch latest {
                case nil: "its \(side.rawValue) side was never tested"
                case let result? where !result.passed: "its latest \(side.rawValue) test failed (\(result.at.formatted(.iso8601))): \(result.detail)"
                case let result? where result.fingerprint != current: "its \(side.rawValue) configuration changed since it passed its test"
                default: nil
                }
                if let refusal {
                    throw ValidationError("not activated: \(refusal). Run `mailpool accounts test \(name) --\(side.rawValue)`, or give --force.")
                }
            }
            let changed = try editor.setActive(true, account: name, side: side)
            print(changed ? "\(name): \(side.rawValue) activated in \(catalog.path)" : "\(name): \(side.rawValue) was already active")
        }
    }

    struct Deactivate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Makes one side of an account inactive, in the accounts file; a running pool picks it up by itself.")

        @OptionGroup var options: AccountsOptions
        @Argument(help: "The account's name.") var name: String
        @OptionGroup var which: SideOption

        func run() async throws {
            let catalog = try options.catalog()
            let side = which.side
            let changed = try AccountsFileEditor(path: catalog.path).setActive(false, account: name, side: side)
            print(changed ? "\(name): \(side.rawValue) deactivated in \(catalog.path)" : "\(name): \(side.rawValue) was already inactive")
        }
    }
}
