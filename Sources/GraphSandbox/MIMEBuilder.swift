import Foundation
import MailpoolCore

/// Builds RFC 5322 MIME for seeded and sent messages: a text or HTML part and base64 attachments.
enum MIMEBuilder {
    static func build(_ message: StoredMessage) -> [UInt8] {
        var out = ""
        func header(_ name: String, _ value: String) { out += "\(name): \(value)\r\n" }
        if let from = message.from { header("From", format(from)) }
        if !message.toRecipients.isEmpty { header("To", message.toRecipients.map(format).joined(separator: ", ")) }
        if !message.ccRecipients.isEmpty { header("Cc", message.ccRecipients.map(format).joined(separator: ", ")) }
        if !message.replyTo.isEmpty { header("Reply-To", message.replyTo.map(format).joined(separator: ", ")) }
        header("Subject", message.subject)
        header("Date", RFC5322Date.string(secondsSince1970: message.receivedDateTime.timeIntervalSince1970))
        header("Message-ID", message.internetMessageID)
        header("MIME-Version", "1.0")
        let bodyType = message.body.contentType.lowercased() == "html" ? "text/html" : "text/plain"
        guard !message.attachments.isEmpty else {
            header("Content-Type", "\(bodyType); charset=utf-8")
            return Array((out + "\r\n" + message.body.content + "\r\n").utf8)
        }
        let boundary = "sandbox-" + SandboxID.guid()
        header("Content-Type", "multipart/mixed; boundary=\"\(boundary)\"")
        out += "\r\n--\(boundary)\r\nContent-Type: \(bodyType); charset=utf-8\r\n\r\n\(message.body.content)\r\n"
        var bytes = Array(out.utf8)
        for attachment in message.attachments {
            let part = "--\(boundary)\r\nContent-Type: \(attachment.contentType); name=\"\(attachment.name)\"\r\n"
                + "Content-Disposition: \(attachment.isInline ? "inline" : "attachment"); filename=\"\(attachment.name)\"\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\n"
            bytes += Array(part.utf8)
            bytes += Array(Data(attachment.content).base64EncodedData(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed]))
            bytes += Array("\r\n".utf8)
        }
        bytes += Array("--\(boundary)--\r\n".utf8)
        return bytes
    }

    private static func format(_ address: EmailAddress) -> String {
        guard let name = address.name, !name.isEmpty else { return address.address }
        return "\"\(name)\" <\(address.address)>"
    }
}
