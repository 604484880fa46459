import ArgumentParser
import Foundation
import GraphSandbox
import Logging
import ServiceLifecycle

/// `mailpool-sandbox`: serves the Graph sandbox (token endpoint, mail endpoints, admin API). A program of
/// its own, so that the product's `mailpool` executable does not carry the sandbox's HTTP server.
@main
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailpool-sandbox",
        abstract: "Serves a local stand-in for Microsoft Entra's token endpoint and Graph's mail endpoints."
    )

    @Option(help: "Seed file (JSON): tenants, apps, mailboxes, token lifetime, limits.")
    var seed = "deploy/sandbox/seed.json"

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8765

    @Option(help: "Certificate chain (PEM) to serve HTTPS with, HTTP/2 negotiated as Graph does; needs --tls-key.")
    var tlsCertificate: String?

    @Option(help: "Private key (PEM) of --tls-certificate.")
    var tlsKey: String?

    func run() async throws {
        let seedData: Data
        do {
            seedData = try Data(contentsOf: URL(fileURLWithPath: seed))
        } catch {
            throw ValidationError("cannot read the seed file \(seed): \(error.localizedDescription)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let sandboxSeed: SandboxSeed
        do {
            sandboxSeed = try decoder.decode(SandboxSeed.self, from: seedData)
        } catch {
            throw ValidationError("the seed file \(seed) is not a valid sandbox seed: \(error)")
        }
        guard (tlsCertificate == nil) == (tlsKey == nil) else { throw ValidationError("--tls-certificate and --tls-key go together") }
        let tls = tlsCertificate.map { SandboxTLS(certificateFile: $0, privateKeyFile: tlsKey!) }
        let sandbox = GraphSandbox(seed: sandboxSeed)
        let scheme = tls == nil ? "http" : "https"
        let server = try sandbox.service(host: host, port: port, tls: tls) { [host] port in
            print("Graph sandbox listening on \(scheme)://\(host):\(port) (authority and Graph base URL)")
        }
        try await ServiceGroup(configuration: .init(
            services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "mailpool.sandbox"))).run()
    }
}
