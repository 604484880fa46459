// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "mailpool",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mailpool", targets: ["mailpool"]),
        .executable(name: "mailpool-bench", targets: ["mailpool-bench"]),
        .library(name: "MailpoolAMQP", targets: ["MailpoolAMQP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // C libraries, wrapped thinly. Nothing above MailpoolAMQP / the Graph client touches a C pointer.
        .systemLibrary(
            name: "CRabbitMQ",
            pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // Non-variadic entry points for the variadic C calls Swift cannot make (amqp_login, curl_easy_setopt).
        .target(name: "CMailpoolShims", dependencies: ["CRabbitMQ", "CCurl"]),

        // Small primitives shared by the clients and the pipeline (backoff, ...).
        .target(name: "MailpoolCore"),

        .target(
            name: "MailpoolAMQP",
            dependencies: [
                "MailpoolCore",
                "CRabbitMQ",
                "CMailpoolShims",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .executableTarget(
            name: "mailpool",
            dependencies: [
                "MailpoolAMQP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Benchmarks: `swift run -c release mailpool-bench amqp`. CAMQPBaseline is the plain rabbitmq-c
        // program the Swift client is compared against in the same run.
        .target(name: "CAMQPBaseline", dependencies: ["CRabbitMQ"]),
        .executableTarget(
            name: "mailpool-bench",
            dependencies: [
                "MailpoolAMQP",
                "CAMQPBaseline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(name: "MailpoolCoreTests", dependencies: ["MailpoolCore"]),
        .testTarget(name: "MailpoolAMQPTests", dependencies: ["MailpoolAMQP"]),
    ]
)
