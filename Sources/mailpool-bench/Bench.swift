import ArgumentParser

/// `mailpool-bench`: throughput benchmarks, run in release mode (`swift run -c release mailpool-bench amqp`).
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailpool-bench",
        abstract: "Measures mailpool's throughput against real servers on this machine.",
        subcommands: [AMQPBenchmark.self, GraphBenchmark.self, InboundBenchmark.self, NotificationBenchmark.self, PollerBenchmark.self, FairnessBenchmark.self, DeadLetterBenchmark.self]
    )
}
