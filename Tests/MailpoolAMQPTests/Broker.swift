import Foundation
import MailpoolAMQP
import MailpoolTestSupport
import Synchronization
import Testing

/// The RabbitMQ the tests run against: `MAILPOOL_AMQP_URL`, by default the loopback broker that
/// `deploy/local/start-rabbitmq.sh` starts. Tests fail, never skip, when it is not there.
enum Broker {
    static let url = ProcessInfo.processInfo.environment["MAILPOOL_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/%2f"
    static let node = ProcessInfo.processInfo.environment["MAILPOOL_RABBITMQ_NODE"] ?? "rabbit@localhost"

    /// Options for the test broker, in `vhost` when given (it must exist; see ``isolatedVhost(_:)``).
    static func options(name: String = "mailpool-tests", vhost: String? = nil) throws -> AMQPConnectionOptions {
        var options = try AMQPConnectionOptions(urlList: url, connectionName: name)
        if let vhost { options.urls = options.urls.map { var url = $0; url.vhost = vhost; return url } }
        options.reconnectBackoff = .init(initial: 0.05, maximum: 1)
        return options
    }

    static func connect(_ topology: Topology = Topology(), name: String = "mailpool-tests",
                        vhost: String? = nil) async throws -> AMQPConnection {
        do {
            return try await AMQPConnection.connect(try options(name: name, vhost: vhost), topology: topology)
        } catch let error as AMQPError {
            Issue.record("RabbitMQ is required at \(url) (start it with deploy/local/start-rabbitmq.sh): \(error)")
            throw error
        }
    }

    /// A queue name no other test uses.
    static func uniqueName(_ purpose: String) -> String {
        "test.\(purpose).\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Creates `vhost` (if needed) with full permissions for the test user, so that a test can close
    /// every connection in it without disturbing tests running in other virtual hosts.
    static func isolatedVhost(_ vhost: String) async throws -> String {
        try await rabbitmqctl("add_vhost", vhost)
        try await rabbitmqctl("set_permissions", "-p", vhost, try AMQPURL(url).user, ".*", ".*", ".*")
        return vhost
    }

    /// Runs `rabbitmqctl` against the test node.
    static func rabbitmqctl(_ arguments: String...) async throws {
        let run = try await runCommand(["rabbitmqctl", "-n", node] + arguments)
        #expect(run.status == 0, "rabbitmqctl \(arguments) failed")
    }
}

struct TimedOut: Error {}

/// Runs `body`, failing with ``TimedOut`` if it has not finished after `seconds`.
func withTimeout<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            throw TimedOut()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

extension AMQPConsumer {
    /// The next `count` deliveries, or ``TimedOut``.
    func take(_ count: Int, within seconds: Double = 10) async throws -> [AMQPDelivery] {
        try await withTimeout(seconds) {
            var deliveries: [AMQPDelivery] = []
            for try await delivery in self {
                deliveries.append(delivery)
                if deliveries.count == count { break }
            }
            return deliveries
        }
    }
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}

/// Shared mutable state for test tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<R: Sendable>(_ body: (inout sending Value) -> sending R) -> R {
        mutex.withLock(body)
    }

    var value: Value { mutex.withLock { $0 } }
}
