/// The accounts file as written (JSON), before validation. See `deploy/accounts.example.json`.
struct AccountsFile: Decodable {
    var accounts: [RawAccount]
    /// Which account sends notifications when several are marked "use for notification".
    var defaultNotificationAccount: String?

    struct RawAccount: Decodable {
        var name: String?
        var useForNotification: Bool?
        var inbound: RawSide?
        var outbound: RawSide?
    }

    /// One side (inbound or outbound): the protocol decides which of the other fields apply.
    struct RawSide: Decodable {
        var `protocol`: String?
        var mailbox: String?
        var active: Bool?
        // GRAPH
        var tenantId: String?
        var clientId: String?
        var clientSecret: SecretReference?
        var certificateFile: String?
        var privateKey: SecretReference?
        var cloud: String?
        var authority: String?
        var graphBaseURL: String?
        // IMAP4, POP3, SMTP
        var host: String?
        var port: Int?
        var tls: String?
        var user: String?
        var password: SecretReference?
        /// IMAP: where processed mail goes (default Trash); "" → flag \Deleted and expunge.
        var deletedFolder: String?
        /// PEM bundle trusted for the server's certificate (default: the system's store).
        var caFile: String?
        // Inbound
        var pollIntervalSeconds: Int?
        var batchSize: Int?
    }
}
