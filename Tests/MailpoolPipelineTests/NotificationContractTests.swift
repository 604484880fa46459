import Foundation
import MailpoolNotifications
import MailpoolTestSupport
import Testing

/// The queue is a public contract: both documented ways to enqueue (Python with pika, `mailpool
/// notify`) produce messages the worker sends, and the JSON matches the published schema.
@Suite struct NotificationContractTests {

    @Test func pythonExampleAndNotifyCommandBothGetSent() async throws {
        let fixture = try await PipelineFixture(mailboxes: 2)
        try fixture.writeNotificationAccounts()
        _ = try await fixture.notificationConnection()
        try await fixture.startNotificationWorker()

        let python = try await runCommand(["python3", repositoryPath("deploy/examples/notify.py"),
                                           fixture.vhostURL, "buyer@customer.example", "from-python"])
        #expect(python.status == 0, "the pika example failed")

        let notify = try await MailpoolProcess.run(
            ["notify", "--accounts", fixture.accountsPath, "--id", "from-cli", "--to", "buyer@customer.example",
             "--subject", "CAR-1043", "--text", "Please respond", "--correlation", "car=CAR-1043"], amqpURL: fixture.vhostURL)
        #expect(notify.status == 0, "mailpool notify failed")

        let invalid = try await MailpoolProcess.run(
            ["notify", "--accounts", fixture.accountsPath, "--to", "not an address", "--subject", "x", "--text", "y"], amqpURL: fixture.vhostURL)
        #expect(invalid.status != 0, "mailpool notify enqueued an invalid notification")

        try await eventually(within: 120, "not sent") { await fixture.sentCounts().keys.sorted() == ["from-cli", "from-python"] }
        let sent = await fixture.sandbox.sent(from: PipelineFixture.sender)
        #expect(sent.first { $0.internetMessageHeaders["x-mailpool-notification-id"] == "from-python" }?.bodyContentType == "html")
        await fixture.stop()
    }

    @Test func requestsMatchThePublishedSchema() async throws {
        let request = NotificationRequest(
            id: "n-1", account: "Quality", to: [.init(address: "a@b.example", name: "A")], cc: [.init(address: "c@d.example")],
            bcc: [.init(address: "e@f.example")], replyTo: [.init(address: "r@s.example")], subject: "Subject", text: "t", html: "<p>h</p>",
            attachments: [.init(name: "x.pdf", contentType: "application/pdf", contentBase64: "JVBERi0=")], importance: "high",
            correlation: ["ticket": "42"])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("notification-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try JSONEncoder().encode([request]).write(to: file)
        let schema = repositoryPath("deploy/schemas/notification.schema.json")
        #expect(try await validateWithPython(schema: schema, instances: file.path) == "1 valid")
        try Data(#"[{"id": "x", "to": [{"address": "a@b.example"}], "subject": "Hi\r\nBcc: v@w.example", "text": "t"}]"#.utf8).write(to: file)
        #expect(try await validateWithPython(schema: schema, instances: file.path) != "1 valid", "the schema let a header injection through")
    }
}
