import Foundation
import GraphSandbox
import MailpoolAccounts
import MailpoolPipeline
import MailpoolTestSupport
import Testing

@Suite struct EventSchemaTests {
    /// Events as the fetch worker publishes them, and a repeated one, validate against
    /// deploy/schemas/inbound-mail.schema.json (checked by Python's jsonschema, an independent implementation).
    @Test func publishedEventsMatchTheDocumentedSchema() async throws {
        let fixture = try await PipelineFixture(mailboxes: 1)
        let mailbox = fixture.mailboxes[0]
        try await fixture.sandbox.seed(SeedMessage(
            subject: "with attachment", from: EmailAddress("lab@vendor.example", name: "Lab"), to: [mailbox],
            attachments: [.init(name: "coa.pdf", contentType: "application/pdf", contentBase64: "JVBERi0=")]), to: mailbox)
        try await fixture.sandbox.seed(SeedMessage(subject: "plain", to: [mailbox]), to: mailbox)
        let events = try await fixture.collectEvents()
        try await fixture.startPoller()
        try await fixture.startWorker()
        try await eventually(within: 120, "no events") { events.count == 2 }
        var repeated = try #require(events.all.first)
        repeated.possibleRepeat = true
        #expect(try await validate(events.all + [repeated], against: "inbound-mail", in: fixture.directory) == "3 valid")
        await fixture.stop()
    }

    @Test func documentedExampleAccountsFileIsValidButForItsSecretFile() throws {
        let example = repositoryPath("deploy/accounts.example.json")
        #expect {
            _ = try AccountCatalog(path: example, environment: [
                "QUALITY_GRAPH_SECRET": "x", "QUALITY_IMAP_PASSWORD": "y", "QUALITY_SMTP_PASSWORD": "z"])
        } throws: { error in
            (error as? AccountsError)?.problems == [
                "account 'Quality (Graph)': outbound.clientSecret: cannot read /run/secrets/quality-graph-secret"]
        }
    }
}

/// Validates `items` (encoded as the pool encodes them) against `deploy/schemas/<schema>.schema.json`;
/// returns "N valid" or the errors.
func validate(_ items: [some Encodable], against schema: String, in directory: URL) async throws -> String {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    let documents = directory.appendingPathComponent("\(schema)-instances.json")
    try encoder.encode(items).write(to: documents)
    let path = repositoryPath("deploy/schemas/\(schema).schema.json")
    return try await validateWithPython(schema: path, instances: documents.path)
}

/// Runs `python3 -m jsonschema`-style validation of every instance in a JSON array file.
func validateWithPython(schema: String, instances: String) async throws -> String {
    let script = """
    import json, sys, jsonschema
    schema = json.load(open(sys.argv[1]))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    items = json.load(open(sys.argv[2]))
    errors = [e.message for item in items for e in validator.iter_errors(item)]
    print("; ".join(errors) if errors else f"{len(items)} valid")
    """
    return try await runCommand(["python3", "-c", script, schema, instances]).output
        .trimmingCharacters(in: .whitespacesAndNewlines)
}
