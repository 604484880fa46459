import FoundationEssentials
import MailpoolCore

/// Builds an RFC 5322 message for SMTP: headers (non-ASCII words encoded per RFC 2047), a text and/or
/// HTML body (multipart/alternative when both), attachments in base64 (multipart/mixed).
public struct MIMEComposer: Sendable {
    public struct Attachment: Sendable {
        public var name: String
        public var contentType: String
        public var content: [UInt8]

        public init(name: String, contentType: String, content: [UInt8]) {
            self.name = name
            self.contentType = contentType
            self.content = content
        }
    }

    public var from: (address: String, name: String?)
    public var to: [(address: String, name: String?)]
    public var cc: [(address: String, name: String?)]
    public var replyTo: [(address: String, name: String?)]
    public var subject: String
    public var text: String?
    public var html: String?
    public var importance: String?
    public var attachments: [Attachment]
    /// Extra header fields (`x-` names).
    public var headers: [(name: String, value: String)]
    public var messageID: String
    public var date: Date

    public init(from: (address: String, name: String?), to: [(address: String, name: String?)], cc: [(address: String, name: String?)] = [],
                replyTo: [(address: String, name: String?)] = [], subject: String, text: String?, html: String?, importance: String? = nil,
                attachments: [Attachment] = [], headers: [(name: String, value: String)] = [],
                messageID: String = "<\(UUID().uuidString.lowercased())@mailpool>", date: Date = Date()) {
        self.from = from
        self.to = to
        self.cc = cc
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.importance = importance
        self.attachments = attachments
        self.headers = headers
        self.messageID = messageID
        self.date = date
    }

    /// The message, CRLF line ends. Bcc recipients go in the envelope only, never in a header.
    public func compose() -> [UInt8] {
        var head = "From: \(Self.mailbox(from))\r\n"
        if !to.isEmpty { head += "To: \(to.map(Self.mailbox).joined(separator: ", "))\r\n" }
        if !cc.isEmpty { head += "Cc: \(cc.map(Self.mailbox).joined(separator: ", "))\r\n" }
        if !replyTo.isEmpty { head += "Reply-To: \(replyTo.map(Self.mailbox).joined(separator: ", "))\r\n" }
        head += "Subject: \(Self.encodedWord(subject))\r\nDate: \(RFC5322Date.string(secondsSince1970: date.timeIntervalSince1970))\r\nMessage-ID: \(messageID)\r\nMIME-Version: 1.0\r\n"
        if let importance, importance != "normal" { head += "Importance: \(importance)\r\n" }
        for header in headers { head += "\(header.name): \(header.value)\r\n" }
        var body = Self.textPart(text: text, html: html)
        if !attachments.isEmpty {
            let boundary = "mixed-\(UUID().uuidString)"
            var mixed = "Content-Type: multipart/mixed; boundary=\"\(boundary)\"\r\n\r\n--\(boundary)\r\n" + body
            for attachment in attachments {
                mixed += "\r\n--\(boundary)\r\nContent-Type: \(attachment.contentType); name=\"\(Self.encodedWord(attachment.name))\"\r\n"
                    + "Content-Disposition: attachment; filename=\"\(Self.encodedWord(attachment.name))\"\r\n"
                    + "Content-Transfer-Encoding: base64\r\n\r\n"
                    + Data(attachment.content).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
            }
            body = mixed + "\r\n--\(boundary)--\r\n"
        }
        return Array((head + body).utf8)
    }

    /// The text and/or HTML part, with its own Content-Type header.
    private static func textPart(text: String?, html: String?) -> String {
        func part(_ type: String, _ content: String) -> String {
            "Content-Type: text/\(type); charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + Data(content.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed]) + "\r\n"
        }
        switch (text, html) {
        case (let text?, let html?):
            let boundary = "alt-\(UUID().uuidString)"
            return "Content-Type: multipart/alternative; boundary=\"\(boundary)\"\r\n\r\n--\(boundary)\r\n" + part("plain", text)
                + "--\(boundary)\r\n" + part("html", html) + "--\(boundary)--\r\n"
        case (nil, let html?): return part("html", html)
        default: return part("plain", text ?? "")
        }
    }

    private static func mailbox(_ entry: (address: String, name: String?)) -> String {
        guard let name = entry.name, !name.isEmpty else { return entry.address }
        return "\(encodedWord(name)) <\(entry.address)>"
    }

    /// RFC 2047 `=?UTF-8?B?…?=` when the text is not plain printable ASCII.
    static func encodedWord(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value > 126 || $0.value < 32 || $0 == "\"" }) else { return text }
        return "=?UTF-8?B?\(Data(text.utf8).base64EncodedString())?="
    }
}
