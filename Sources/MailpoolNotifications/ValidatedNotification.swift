import FoundationEssentials
import MailpoolAccounts
import MailpoolCore

/// A notification that passed validation, with its sending account resolved.
public struct ValidatedNotification: Sendable {
    public let request: NotificationRequest
    public let account: EmailAccount
    public let outbound: OutboundConfiguration
    /// Attachments decoded from base64.
    public let attachments: [(name: String, contentType: String, content: [UInt8])]
}

/// Why a notification is dead-lettered at once, without any send attempt.
public struct NotificationRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// `malformed-json`, `invalid`, `header-injection`, `oversized`, `unknown-account`, `inactive-account`.
    public let kind: String
    public let detail: String

    public var description: String { "\(kind): \(detail)" }
}

/// Checks a notification before anything is sent: JSON shape, recipients and addresses, CR/LF in
/// header fields, size, attachments, and the sending account (named, or the default notification
/// account; its outbound side must exist and be Active).
public struct NotificationValidator: Sendable {
    /// Largest accepted message body, in bytes (a larger one is refused before it is even assembled).
    public var maxPayloadBytes: Int
    /// Most recipients (to, cc and bcc together) of one notification: Exchange Online's default
    /// limit per message is 500.
    public var maxRecipients: Int

    public init(maxPayloadBytes: Int = 25 * 1024 * 1024, maxRecipients: Int = 500) {
        self.maxPayloadBytes = maxPayloadBytes
        self.maxRecipients = maxRecipients
    }

    public func validate(_ body: [UInt8], accounts: AccountCatalog) -> Result<ValidatedNotification, NotificationRejection> {
        guard body.count <= maxPayloadBytes else {
            return .failure(.init(kind: "oversized", detail: "\(body.count) bytes, more than \(maxPayloadBytes)"))
        }
        let request: NotificationRequest
        do {
            request = try JSONDecoder().decode(NotificationRequest.self, from: Data(body))
        } catch {
            return .failure(.init(kind: "malformed-json", detail: Self.explain(error)))
        }
        return validate(request, accounts: accounts)
    }

    public func validate(_ request: NotificationRequest, accounts: AccountCatalog) -> Result<ValidatedNotification, NotificationRejection> {
        func invalid(_ detail: String) -> Result<ValidatedNotification, NotificationRejection> {
            .failure(.init(kind: "invalid", detail: detail))
        }
        let recipients = request.to + (request.cc ?? []) + (request.bcc ?? [])
        var headerFields: [(String, String)] = [("id", request.id), ("subject", request.subject), ("account", request.account ?? ""),
                                                ("importance", request.importance ?? "")]
        for (field, list) in [("to", request.to), ("cc", request.cc ?? []), ("bcc", request.bcc ?? []), ("replyTo", request.replyTo ?? [])] {
            for (index, address) in list.enumerated() {
                headerFields.append(("\(field)[\(index)].address", address.address))
                headerFields.append(("\(field)[\(index)].name", address.name ?? ""))
            }
        }
        for (index, attachment) in (request.attachments ?? []).enumerated() {
            headerFields.append(("attachments[\(index)].name", attachment.name))
            headerFields.append(("attachments[\(index)].contentType", attachment.contentType))
        }
        for (key, value) in request.correlation ?? [:] { headerFields.append(("correlation.\(key)", key + value)) }
        if let field = headerFields.first(where: { $0.1.utf8.contains { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") } }) {
            return .failure(.init(kind: "header-injection", detail: "\(field.0) contains CR or LF"))
        }
        guard !request.id.unicodeScalars.allSatisfy(\.properties.isWhitespace), request.id.count <= 200 else {
            return invalid("id must be 1 to 200 characters")
        }
        guard !recipients.isEmpty else { return invalid("no recipient in to, cc or bcc") }
        guard recipients.count <= maxRecipients else {
            return invalid("\(recipients.count) recipients, more than \(maxRecipients) (the sender's limit per message)")
        }
        if let bad = (recipients + (request.replyTo ?? [])).first(where: { !EmailAddressSyntax.isValid($0.address) }) {
            return invalid("'\(bad.address)' is not an email address")
        }
        guard request.text != nil || request.html != nil else { return invalid("text or html is required") }
        guard ["low", "normal", "high"].contains(request.importance ?? "normal") else {
            return invalid("importance must be low, normal or high")
        }
        var attachments: [(String, String, [UInt8])] = []
        for attachment in request.attachments ?? [] {
            guard !attachment.name.isEmpty, let data = Data(base64Encoded: attachment.contentBase64, options: .ignoreUnknownCharacters) else {
                return invalid("attachment '\(attachment.name)' has no valid base64 content")
            }
            attachments.append((attachment.name, attachment.contentType, Array(data)))
        }
        let account: EmailAccount
        if let name = request.account {
            guard let named = accounts.account(named: name) else {
                return .failure(.init(kind: "unknown-account", detail: "no account named '\(name)'"))
            }
            account = named
        } else {
            guard let fallback = accounts.defaultNotificationAccount else {
                return .failure(.init(kind: "unknown-account", detail: "no account is marked useForNotification"))
            }
            account = fallback
        }
        guard let outbound = account.outbound, outbound.active else {
            return .failure(.init(kind: "inactive-account", detail: "account '\(account.name)' has no Active outbound configuration"))
        }
        return .success(ValidatedNotification(request: request, account: account, outbound: outbound,
                                              attachments: attachments.map { (name: $0.0, contentType: $0.1, content: $0.2) }))
    }

    private static func explain(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing field '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context), DecodingError.dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "not JSON" : "'\(path)': \(context.debugDescription)"
        default: return "not a notification"
        }
    }
}
