import FoundationEssentials
import MailpoolAccounts
import MailpoolGraph
import MailpoolLegacyMail

/// The tests an operator runs before activating a side of an account (Active or not: that is the
/// point). Inbound: authenticate and read the Inbox's counts, changing nothing (for POP3, all messages
/// count as unread). Outbound: send a system-generated email to the mailbox itself.
public struct AccountTester: Sendable {
    let clients: GraphClients

    public init(clients: GraphClients) {
        self.clients = clients
    }

    /// The Inbox's total and unread counts.
    public func testInbound(_ account: EmailAccount) async throws -> (total: Int, unread: Int) {
        guard let inbound = account.inbound else { throw AccountTestError.noSide(account: account.name, side: "inbound") }
        switch inbound.server {
        case .graph(let settings):
            return try await clients.client(for: settings).inboxCounts(mailbox: inbound.mailbox)
        case .imap(let settings):
            let imap = IMAPClient(engine: clients.context.engine, endpoint: MailServerEndpoint(settings))
            return (try await imap.search("ALL").count, try await imap.search("UNSEEN").count)
        case .pop3(let settings):
            let pop3 = POP3Client(engine: clients.context.engine, endpoint: MailServerEndpoint(settings))
            let count = try await pop3.uniqueIDs().count
            try await pop3.commit()
            return (count, count)
        case .smtp:
            throw AccountTestError.unsupported(account: account.name, protocolName: "SMTP as inbound")
        }
    }

    /// Sends the test email; returns its subject.
    public func testOutbound(_ account: EmailAccount) async throws -> String {
        guard let outbound = account.outbound else { throw AccountTestError.noSide(account: account.name, side: "outbound") }
        let subject = "mailpool test message for account '\(account.name)' (\(Date().formatted(.iso8601)))"
        let body = "This message was sent by mailpool to test the outbound configuration of account '\(account.name)'. "
            + "It was sent from \(outbound.mailbox) to itself; no action is needed."
        switch outbound.server {
        case .graph(let settings):
            try await clients.client(for: settings).sendMail(
                from: outbound.mailbox, OutgoingMail(subject: subject, body: body, to: [MailAddress(outbound.mailbox)],
                                                     headers: [("x-mailpool-test", "outbound")]))
        case .smtp(let settings):
            let message = MIMEComposer(from: (outbound.mailbox, nil), to: [(outbound.mailbox, nil)], subject: subject, text: body,
                                       html: nil, headers: [("X-Mailpool-Test", "outbound")]).compose()
            try await SMTPClient(engine: clients.context.engine, endpoint: MailServerEndpoint(settings))
                .send(message, from: outbound.mailbox, to: [outbound.mailbox])
        default:
            throw AccountTestError.unsupported(account: account.name, protocolName: outbound.server.protocolName)
        }
        return subject
    }
}

public enum AccountTestError: Error, CustomStringConvertible, Sendable {
    case noSide(account: String, side: String)
    case unsupported(account: String, protocolName: String)

    public var description: String {
        switch self {
        case .noSide(let account, let side): "account '\(account)' has no \(side) configuration"
        case .unsupported(let account, let name): "account '\(account)': testing \(name) is not available yet"
        }
    }
}
