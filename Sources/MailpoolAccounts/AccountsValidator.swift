import FoundationEssentials
import MailpoolCore

/// Turns an accounts file into validated ``EmailAccount``s, collecting every problem (unknown protocol,
/// missing tenant or client for GRAPH, malformed GUIDs or addresses, duplicate names, several default
/// notification senders without a rule) rather than stopping at the first.
struct AccountsValidator {
    let environment: [String: String]
    private(set) var problems: [String] = []
    private(set) var warnings: [String] = []
    /// Files the accounts were read from besides the accounts file (secrets, certificates): a change to
    /// any of them reloads the accounts.
    private(set) var sourceFiles: [String] = []

    init(environment: [String: String]) {
        self.environment = environment
    }

    mutating func validate(_ file: AccountsFile) -> [EmailAccount] {
        var accounts: [EmailAccount] = []
        var seen: Set<String> = []
        for (index, raw) in file.accounts.enumerated() {
            guard let name = raw.name?.trimmingWhitespace, !name.isEmpty else {
                problems.append("accounts[\(index)]: name: missing")
                continue
            }
            if !seen.insert(name.lowercased()).inserted {
                problems.append("account '\(name)': name: used by another account")
            }
            let inbound = raw.inbound.flatMap { inboundSide($0, account: name) }
            let outbound = raw.outbound.flatMap { outboundSide($0, account: name) }
            if raw.inbound == nil && raw.outbound == nil {
                problems.append("account '\(name)': needs an inbound or an outbound configuration")
            }
            if raw.useForNotification == true && raw.outbound == nil {
                problems.append("account '\(name)': useForNotification: needs an outbound configuration")
            }
            accounts.append(EmailAccount(name: name, inbound: inbound, outbound: outbound,
                                         useForNotification: raw.useForNotification ?? false))
        }
        let notifiers = accounts.filter(\.useForNotification).map(\.name)
        if let rule = file.defaultNotificationAccount {
            if !notifiers.contains(rule) {
                problems.append("defaultNotificationAccount: '\(rule)' is not an account marked useForNotification")
            }
        } else if notifiers.count > 1 {
            problems.append("accounts \(notifiers.map { "'\($0)'" }.joined(separator: ", ")) are all marked useForNotification: "
                            + "set defaultNotificationAccount to the one that sends by default")
        }
        return accounts
    }

    private mutating func inboundSide(_ raw: AccountsFile.RawSide, account: String) -> InboundConfiguration? {
        let field = "account '\(account)': inbound"
        let server = server(raw, field: field, allowed: ["GRAPH", "IMAP4", "POP3"])
        let mailbox = mailbox(raw, field: field)
        guard let server, let mailbox else { return nil }
        let interval = raw.pollIntervalSeconds ?? 60
        if interval < 1 { problems.append("\(field).pollIntervalSeconds: must be at least 1") }
        let batch = raw.batchSize ?? 50
        if !(1...1000).contains(batch) { problems.append("\(field).batchSize: must be 1 to 1000") }
        return InboundConfiguration(server: server, mailbox: mailbox, active: raw.active ?? false,
                                    pollIntervalSeconds: interval, batchSize: batch)
    }

    private mutating func outboundSide(_ raw: AccountsFile.RawSide, account: String) -> OutboundConfiguration? {
        let field = "account '\(account)': outbound"
        let server = server(raw, field: field, allowed: ["GRAPH", "SMTP"])
        let mailbox = mailbox(raw, field: field)
        guard let server, let mailbox else { return nil }
        return OutboundConfiguration(server: server, mailbox: mailbox, active: raw.active ?? false)
    }

    private mutating func mailbox(_ raw: AccountsFile.RawSide, field: String) -> String? {
        guard let mailbox = raw.mailbox, !mailbox.isEmpty else {
            problems.append("\(field).mailbox: missing (the mailbox's primary address)")
            return nil
        }
        guard EmailAddressSyntax.isValid(mailbox) else {
            problems.append("\(field).mailbox: '\(mailbox)' is not an email address")
            return nil
        }
        return mailbox
    }

    private mutating func server(_ raw: AccountsFile.RawSide, field: String, allowed: [String]) -> MailServer? {
        guard let name = raw.protocol?.uppercased() else {
            problems.append("\(field).protocol: missing (one of \(allowed.joined(separator: ", ")))")
            return nil
        }
        guard allowed.contains(name) else {
            problems.append("\(field).protocol: '\(raw.protocol!)' is not one of \(allowed.joined(separator: ", "))")
            return nil
        }
        switch name {
        case "GRAPH": return graph(raw, field: field).map(MailServer.graph)
        case "IMAP4": return mailServer(raw, field: field, ports: (993, 143)).map(MailServer.imap)
        case "POP3": return mailServer(raw, field: field, ports: (995, 110)).map(MailServer.pop3)
        default: return mailServer(raw, field: field, ports: (465, 587)).map(MailServer.smtp)
        }
    }

    private mutating func graph(_ raw: AccountsFile.RawSide, field: String) -> GraphSettings? {
        var valid = true
        for (name, value) in [("tenantId", raw.tenantId), ("clientId", raw.clientId)] {
            guard let value, !value.isEmpty else {
                problems.append("\(field).\(name): missing (required for GRAPH)")
                valid = false
                continue
            }
            if UUID(uuidString: value) == nil {
                problems.append("\(field).\(name): '\(value)' is not a GUID (copy it from the app registration's Overview page)")
                valid = false
            }
        }
        let cloud = raw.cloud.map { $0.lowercased() } ?? "global"
        let presets: [String: (String, String)] = [
            "global": ("https://login.microsoftonline.com", "https://graph.microsoft.com"),
            "usgov-l4": ("https://login.microsoftonline.us", "https://graph.microsoft.us"),
            "usgov-l5": ("https://login.microsoftonline.us", "https://dod-graph.microsoft.us"),
            "china": ("https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"),
        ]
        guard let preset = presets[cloud] else {
            problems.append("\(field).cloud: '\(cloud)' is not one of global, usgov-l4, usgov-l5, china")
            return nil
        }
        let credential: GraphCredential?
        switch (raw.clientSecret, raw.certificateFile) {
        case (let secret?, nil):
            credential = resolve(secret, field: "\(field).clientSecret").map(GraphCredential.secret)
        case (nil, let certificate?):
            sourceFiles.append(certificate)
            guard let pem = try? String(contentsOfFile: certificate, encoding: .utf8) else {
                problems.append("\(field).certificateFile: cannot read \(certificate)")
                return nil
            }
            guard let keyReference = raw.privateKey else {
                problems.append("\(field).privateKey: missing (the certificate's private key)")
                return nil
            }
            credential = resolve(keyReference, field: "\(field).privateKey").map { .certificate(certificatePEM: pem, privateKey: $0) }
        case (nil, nil):
            problems.append("\(field).clientSecret: missing (or give certificateFile and privateKey)")
            credential = nil
        case (_?, _?):
            problems.append("\(field): give either clientSecret or certificateFile, not both")
            credential = nil
        }
        let authority = raw.authority ?? preset.0, graphBaseURL = raw.graphBaseURL ?? preset.1
        for (name, url) in [("authority", authority), ("graphBaseURL", graphBaseURL)] where !isProtected(url) {
            problems.append("\(field).\(name): '\(url)' is not https:// (plain http:// is allowed only to a loopback address "
                            + "or a host named in MAILPOOL_ALLOW_HTTP_HOSTS, as it would send the client's credential in clear)")
            valid = false
        }
        guard valid, let credential else { return nil }
        return GraphSettings(tenantID: raw.tenantId!, clientID: raw.clientId!, credential: credential,
                             authority: authority, graphBaseURL: graphBaseURL)
    }

    private mutating func mailServer(_ raw: AccountsFile.RawSide, field: String, ports: (implicit: Int, starttls: Int)) -> ServerSettings? {
        guard let host = raw.host, !host.isEmpty else {
            problems.append("\(field).host: missing")
            return nil
        }
        let mode = raw.tls.map { $0.lowercased() } ?? "implicit"
        guard let tls = ServerSettings.TLSMode(rawValue: mode) else {
            problems.append("\(field).tls: '\(mode)' is not implicit or starttls")
            return nil
        }
        guard let user = raw.user, !user.isEmpty else {
            problems.append("\(field).user: missing")
            return nil
        }
        guard let reference = raw.password else {
            problems.append("\(field).password: missing")
            return nil
        }
        guard let password = resolve(reference, field: "\(field).password") else { return nil }
        let port = raw.port ?? (tls == .implicit ? ports.implicit : ports.starttls)
        guard (1...65535).contains(port) else {
            problems.append("\(field).port: \(port) is not a port number")
            return nil
        }
        if let caFile = raw.caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            problems.append("\(field).caFile: cannot read \(caFile)")
        }
        let deletedFolder = raw.deletedFolder ?? "Trash"
        return ServerSettings(host: host, port: port, tls: tls, user: user, password: password,
                              deletedFolder: deletedFolder.isEmpty ? nil : deletedFolder, caFile: raw.caFile)
    }

    /// https://, or http:// to a loopback address or to a host the operator named in
    /// `MAILPOOL_ALLOW_HTTP_HOSTS` (comma-separated): a local stand-in such as the sandbox, which in a
    /// compose network is another host.
    func isProtected(_ url: String) -> Bool {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), let host = components.host else {
            return false
        }
        let allowed = (environment["MAILPOOL_ALLOW_HTTP_HOSTS"] ?? "").split(separator: ",").map { $0.trimmingWhitespace.lowercased() }
        let local = host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]" || allowed.contains(host.lowercased())
        return scheme == "https" || (scheme == "http" && local)
    }

    private mutating func resolve(_ reference: SecretReference, field: String) -> Secret? {
        if case .file(let path) = reference { sourceFiles.append(path) }
        if reference.isInline {
            warnings.append("\(field): the secret is written in the accounts file; prefer {\"env\": NAME} or {\"file\": PATH}")
        }
        let (secret, problem) = reference.resolve(environment: environment)
        if let problem { problems.append("\(field): \(problem)") }
        return secret
    }
}
