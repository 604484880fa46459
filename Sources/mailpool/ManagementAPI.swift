import FoundationEssentials
import MailpoolCore
import MailpoolCurl

/// The few RabbitMQ management API reads `mailpool status` needs (queues with unacked counts and
/// head timestamps, connections, the owner of an exclusive queue), through libcurl. The base URL's
/// credentials never appear in output or errors.
struct ManagementAPI {
    let base: String
    let vhost: String
    let engine: CurlEngine

    struct Queue: Decodable {
        let name: String
        let type: String?
        let messages_ready: Int?
        let messages_unacknowledged: Int?
        let consumers: Int?
        /// Seconds since 1970 of the oldest message's timestamp (classic queues only).
        let head_message_timestamp: Double?
        let owner_pid_details: Owner?

        struct Owner: Decodable {
            let name: String?
        }
    }

    struct Connection: Decodable {
        let name: String
        let vhost: String?
        let client_properties: Properties?

        struct Properties: Decodable {
            let connection_name: String?
        }
    }

    func queues() async throws -> [Queue] {
        try await get("/api/queues/\(vhost.percentEncoded)", as: [Queue].self)
    }

    func queue(_ name: String) async throws -> Queue {
        try await get("/api/queues/\(vhost.percentEncoded)/\(name.percentEncoded)", as: Queue.self)
    }

    func connections() async throws -> [Connection] {
        try await get("/api/connections", as: [Connection].self).filter { $0.vhost == vhost }
    }

    private func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        let response = try await engine.perform(HTTPRequest(url: base + path, timeout: 10))
        guard response.status == 200 else {
            throw ManagementError(message: "the management API answered \(response.status) for \(path)")
        }
        return try JSONDecoder().decode(type, from: Data(response.body))
    }
}

struct ManagementError: Error, CustomStringConvertible {
    let message: String
    var description: String { "RabbitMQ management API: \(message)" }
}
