import ArgumentParser
import MailpoolAccounts
import MailpoolGraph
import MailpoolPipeline

/// `mailpool accounts list|test`.
struct AccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts", abstract: "Lists and tests email accounts.",
        subcommands: [List.self, Test.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lists the accounts: protocols, Active flags, notification flag (never secrets).")

        @OptionGroup var options: AccountsOptions

        func run() async throws {
            let catalog = try options.catalog()
            print("NAME | INBOUND | OUTBOUND | NOTIFICATIONS")
            for account in catalog.accounts {
                func side(_ server: MailServer?, _ mailbox: String?, _ active: Bool?) -> String {
                    guard let server, let mailbox, let active else { return "-" }
                    return "\(server.protocolName) \(mailbox) \(active ? "active" : "inactive")"
                }
                let notifications = account.useForNotification
                    ? (catalog.defaultNotificationAccount?.name == account.name ? "yes (default)" : "yes") : "no"
                print("\(account.name) | \(side(account.inbound?.server, account.inbound?.mailbox, account.inbound?.active)) | "
                      + "\(side(account.outbound?.server, account.outbound?.mailbox, account.outbound?.active)) | \(notifications)")
            }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Tests an account's inbound side (reads the Inbox, changes nothing) or outbound side (sends a test email to the mailbox itself).")

        @OptionGroup var options: AccountsOptions
        @Argument(help: "The account's name.") var name: String
        @Flag(help: "Test the inbound configuration.") var inbound = false
        @Flag(help: "Test the outbound configuration.") var outbound = false

        func validate() throws {
            guard inbound != outbound else { throw ValidationError("give exactly one of --inbound and --outbound") }
        }

        func run() async throws {
            let catalog = try options.catalog()
            guard let account = catalog.account(named: name) else {
                throw ValidationError("no account named '\(name)' in \(catalog.path)")
            }
            let context = GraphContext()
            defer { context.engine.shutdown() }
            let tester = AccountTester(clients: GraphClients(context: context))
            do {
                if inbound {
                    let counts = try await tester.testInbound(account)
                    print("inbound OK: \(account.inbound!.mailbox) has \(counts.total) messages in the Inbox (\(counts.unread) unread)")
                } else {
                    let subject = try await tester.testOutbound(account)
                    print("outbound OK: sent \"\(subject)\" from \(account.outbound!.mailbox) to itself")
                }
            } catch {
                print("\(inbound ? "inbound" : "outbound") test of '\(name)' failed: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
