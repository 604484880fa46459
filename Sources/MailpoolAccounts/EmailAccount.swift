import MailpoolCore

/// An email account as the product defines it: a name, an inbound and an outbound configuration, each
/// with its own protocol, primary mailbox address, credentials and Active flag, and whether it sends
/// notifications.
public struct EmailAccount: Sendable {
    public let name: String
    public let inbound: InboundConfiguration?
    public let outbound: OutboundConfiguration?
    public let useForNotification: Bool

    /// A name safe in queue names and paths: lower case letters, digits and dashes.
    public var slug: String { Self.slug(name) }

    static func slug(_ name: String) -> String {
        var result = ""
        for character in name.lowercased() {
            if character.isLetter && character.isASCII || character.isNumber && character.isASCII {
                result.append(character)
            } else if !result.hasSuffix("-") {
                result.append("-")
            }
        }
        while result.hasSuffix("-") { result.removeLast() }
        return result.isEmpty ? "account" : result
    }
}

/// How an account reads mail.
public struct InboundConfiguration: Sendable {
    public let server: MailServer
    /// The primary mailbox address (not an alias).
    public let mailbox: String
    public let active: Bool
    public let pollIntervalSeconds: Int
    /// Messages fetched per job; a continuation job follows when more remain.
    public let batchSize: Int
}

/// How an account sends mail.
public struct OutboundConfiguration: Sendable {
    public let server: MailServer
    public let mailbox: String
    public let active: Bool
}

/// The service behind one side of an account.
public enum MailServer: Sendable {
    case graph(GraphSettings)
    case imap(ServerSettings)
    case pop3(ServerSettings)
    case smtp(ServerSettings)

    /// GRAPH, IMAP4, POP3 or SMTP, as the product names them.
    public var protocolName: String {
        switch self {
        case .graph: "GRAPH"
        case .imap: "IMAP4"
        case .pop3: "POP3"
        case .smtp: "SMTP"
        }
    }
}

/// An Azure app registration used with client credentials.
public struct GraphSettings: Sendable {
    public let tenantID: String
    public let clientID: String
    public let credential: GraphCredential
    public let authority: String
    public let graphBaseURL: String
}

public enum GraphCredential: Sendable {
    case secret(Secret)
    case certificate(certificatePEM: String, privateKey: Secret)
}

/// A POP3, IMAP or SMTP server.
public struct ServerSettings: Sendable {
    public enum TLSMode: String, Sendable {
        /// TLS from the first byte (imaps 993, pop3s 995, smtps 465).
        case implicit
        /// Plain connection upgraded with STARTTLS/STLS (143, 110, 587); refused if the server cannot.
        case starttls
    }

    public let host: String
    public let port: Int
    public let tls: TLSMode
    public let user: String
    public let password: Secret
    /// IMAP only: the folder processed messages are moved to, nil to flag and expunge them.
    public let deletedFolder: String?
    /// PEM bundle trusted for the server's certificate; nil uses the system's store.
    public let caFile: String?
}
