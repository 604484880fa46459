import ArgumentParser
import FoundationEssentials
import MailpoolAMQP
import MailpoolNotifications

/// `mailpool dlq list|show|replay|purge`: the notification dead-letter queue.
struct DeadLetterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq", abstract: "Inspects, replays and purges dead-lettered notifications.",
        subcommands: [List.self, Show.self, Replay.self, Purge.self])

    static func withDeadLetters<T>(_ broker: BrokerOptions, _ body: (DeadLetters) async throws -> T) async throws -> T {
        let connection = try await AMQPConnection.connect(try broker.connectionOptions(name: "mailpool-dlq"))
        do {
            let result = try await body(DeadLetters(connection: connection))
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One line per dead letter: id, attempts, when, account, reason, last error.",
            discussion: "Reads through the queue without removing anything (each dead letter is moved to the tail, in order); memory stays that of a few hundred messages.")
        @OptionGroup var broker: BrokerOptions
        @OptionGroup var filter: DeadLetterFilterOptions

        func run() async throws {
            let filter = try self.filter.filter()
            var shown = 0
            let read = try await DeadLetterCommand.withDeadLetters(broker) { dead in
                try await dead.forEach(matching: filter) { entry in
                    shown += 1
                    print([entry.id, "\(entry.attempts) attempts", entry.deadAt?.formatted(.iso8601) ?? "-", entry.account ?? "-",
                           entry.reason, entry.lastError ?? ""].joined(separator: "\t"))
                }
            }
            print(filter.isEmpty ? "\(read) dead letter\(read == 1 ? "" : "s")" : "\(shown) of \(read) dead letters match")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Everything about one dead letter, its body included.")
        @OptionGroup var broker: BrokerOptions
        @Argument(help: "The dead letter's notification id (as `dlq list` shows it).") var id: String

        func run() async throws {
            var found: DeadLetterEntry?
            _ = try await DeadLetterCommand.withDeadLetters(broker) { dead in
                try await dead.forEach(matching: DeadLetterFilter(id: id)) { entry in
                    if found == nil { found = entry }
                }
            }
            guard let entry = found else { throw ValidationError("no dead letter with id \(id)") }
            print("id: \(entry.id)\nreason: \(entry.reason)\naccount: \(entry.account ?? "-")\nattempts: \(entry.attempts)")
            print("dead at: \(entry.deadAt?.formatted(.iso8601) ?? "-")")
            print("first error: \(entry.firstError ?? "-")\nlast error: \(entry.lastError ?? "-")")
            for error in entry.errors { print("  \(error)") }
            print(String(decoding: entry.body, as: UTF8.self))
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Moves dead letters back to the work queue, attempts reset.",
            discussion: "Give an id, --all, or filters (--reason, --account, --since). Each is published with a confirm before its dead letter is removed; a replayed notification is sent even if it was recorded as sent.")
        @OptionGroup var broker: BrokerOptions
        @Argument(help: "The dead letter's notification id (as `dlq list` shows it).") var id: String?
        @Flag(help: "Replay every dead letter.") var all = false
        @OptionGroup var filter: DeadLetterFilterOptions

        func validate() throws {
            let filtered = !(try filter.filter().isEmpty)
            guard [id != nil, all, filtered].filter({ $0 }).count == 1 || (id != nil && filtered) else {
                throw ValidationError("give an id, --all, or filters (--reason, --account, --since)")
            }
        }

        func run() async throws {
            var selected = try filter.filter()
            selected.id = id
            let count = try await DeadLetterCommand.withDeadLetters(broker) { try await $0.replay(matching: selected) }
            print("replayed \(count)")
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deletes every dead letter.")
        @OptionGroup var broker: BrokerOptions

        func run() async throws {
            print("purged \(try await DeadLetterCommand.withDeadLetters(broker) { try await $0.purge() })")
        }
    }
}

/// `--reason`, `--account` and `--since`, shared by `dlq list` and `dlq replay`.
struct DeadLetterFilterOptions: ParsableArguments {
    @Option(help: "Only dead letters with this reason code (permanent, outcome-unknown, retries-exhausted, configuration, delivery-limit, oversized, invalid ...).")
    var reason: String?
    @Option(help: "Only dead letters of this sending account.") var account: String?
    @Option(help: "Only dead letters from this time on: an ISO 8601 time (2026-11-28T06:00:00Z) or an age (90s, 30m, 2h, 1d).")
    var since: String?

    func filter() throws -> DeadLetterFilter {
        DeadLetterFilter(reason: reason, account: account, since: try since.map(Self.time))
    }

    /// An ISO 8601 time, or an age counted back from now.
    static func time(_ text: String) throws -> Date {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let unit = text.last.flatMap({ units[$0] }), let amount = Double(text.dropLast()), amount >= 0 else {
            throw ValidationError("--since takes an ISO 8601 time (2026-11-28T06:00:00Z) or an age (90s, 30m, 2h, 1d), not '\(text)'")
        }
        return Date().addingTimeInterval(-amount * unit)
    }
}
