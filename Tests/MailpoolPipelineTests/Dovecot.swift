import Foundation
import MailpoolCore
import MailpoolCurl
import MailpoolLegacyMail
import Testing

/// The Dovecot that `deploy/local/start-dovecot.sh` runs on loopback: any user name logs in with the
/// password `mailpool-test` and gets a mailbox of its own.
enum Dovecot {
    static let host = "127.0.0.1"
    static let imapsPort = Int(ProcessInfo.processInfo.environment["MAILPOOL_IMAPS_PORT"] ?? "") ?? 10993
    static let imapPort = Int(ProcessInfo.processInfo.environment["MAILPOOL_IMAP_PORT"] ?? "") ?? 10143
    static let pop3sPort = Int(ProcessInfo.processInfo.environment["MAILPOOL_POP3S_PORT"] ?? "") ?? 10995
    static let password = "mailpool-test"
    static let caFile = ProcessInfo.processInfo.environment["MAILPOOL_TLS_CA"] ?? "/var/tmp/mailpool/tls/ca.pem"

    static func uniqueUser(_ purpose: String) -> String { "\(purpose)-\(UUID().uuidString.prefix(8).lowercased())" }

    static func endpoint(user: String, port: Int = imapsPort, security: MailServerEndpoint.Security = .implicitTLS,
                         password: String = password) -> MailServerEndpoint {
        MailServerEndpoint(host: host, port: port, security: security, user: user, password: Secret(password), caFile: caFile)
    }

    /// Appends `count` messages to the user's INBOX and marks them unseen (libcurl's APPEND sets \Seen).
    /// Every `attachmentEvery`-th message carries a PDF attachment. Returns the messages.
    @discardableResult
    static func seed(user: String, count: Int, attachmentEvery: Int = 0, engine: CurlEngine) async throws -> [[UInt8]] {
        let imap = IMAPClient(engine: engine, endpoint: endpoint(user: user))
        var messages: [[UInt8]] = []
        for index in 0..<count {
            let message = Self.message(index: index, to: "\(user)@dovecot.test",
                                       attachment: attachmentEvery > 0 && index % attachmentEvery == 0)
            do {
                try await imap.append(message)
            } catch {
                Issue.record("Dovecot is required on \(host):\(imapsPort) (start it with deploy/local/start-dovecot.sh): \(error)")
                throw error
            }
            messages.append(message)
        }
        _ = try await engine.perform(MailRequest(url: "imaps://\(host):\(imapsPort)/INBOX", user: user, password: Secret(password),
                                                 customRequest: "UID STORE 1:* -FLAGS (\\Seen)", caFile: caFile))
        return messages
    }

    static func message(index: Int, to: String, attachment: Bool) -> [UInt8] {
        var text = "From: \"Lab \(index)\" <lab@vendor.example>\r\nTo: \(to)\r\nCc: qa@contoso.example\r\n"
            + "Subject: COA \(index)\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\nMessage-ID: <coa-\(index)-\(UUID().uuidString)@vendor.example>\r\n"
            + "MIME-Version: 1.0\r\n"
        guard attachment else { return Array((text + "Content-Type: text/plain\r\n\r\nCertificate \(index)\r\n").utf8) }
        let pdf = Data(repeating: UInt8(index % 256), count: 3000).base64EncodedString(options: .lineLength76Characters)
        text += "Content-Type: multipart/mixed; boundary=\"b\(index)\"\r\n\r\n--b\(index)\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
            + "--b\(index)\r\nContent-Type: application/pdf; name=\"coa-\(index).pdf\"\r\nContent-Disposition: attachment; filename=\"coa-\(index).pdf\"\r\n"
            + "Content-Transfer-Encoding: base64\r\n\r\n\(pdf)\r\n--b\(index)--\r\n"
        return Array(text.utf8)
    }
}
