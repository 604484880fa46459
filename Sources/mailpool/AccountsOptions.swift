import ArgumentParser
import FoundationEssentials
import MailpoolAccounts

/// The accounts file option shared by the subcommands that need accounts.
struct AccountsOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Accounts file (default: $MAILPOOL_ACCOUNTS, else accounts.json).", valueName: "file"))
    var accounts: String?

    func catalog() throws -> AccountCatalog {
        try AccountCatalog(path: accounts ?? ProcessInfo.processInfo.environment["MAILPOOL_ACCOUNTS"] ?? "accounts.json")
    }
}
