// swift-tools-version: 6.0
import PackageDescription

/// Release executables on Linux link with lld and packed relative relocations (DT_RELR, glibc 2.36+):
/// a process then does not keep a megabyte-sized relocation table resident (the worker's RSS drops by
/// about 2 MB). They export no symbols of their own (`--no-export-dynamic`, undoing the static Swift
/// runtime's `-export-dynamic`): nothing loads a plugin that would look them up, and the dynamic
/// loader no longer pages in a 1.2 MB symbol table to resolve libcurl's and librabbitmq's symbols
/// (the worker: 1.3 MB less resident).
let releaseLinking: [LinkerSetting] = [
    .unsafeFlags(
        ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic"],
        .when(platforms: [.linux], configuration: .release)
    ),
]

let package = Package(
    name: "mailpool",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mailpool", targets: ["mailpool"]),
        .executable(name: "mailpool-sandbox", targets: ["mailpool-sandbox"]),
        .executable(name: "mailpool-bench", targets: ["mailpool-bench"]),
        .library(name: "MailpoolAMQP", targets: ["MailpoolAMQP"]),
        .library(name: "MailpoolGraph", targets: ["MailpoolGraph"]),
        .library(name: "GraphSandbox", targets: ["GraphSandbox"]),
    ],
    // Exact versions, so that an image built today and one built next month hold the same code
    // (Package.resolved is not committed: on the project's machines the packages come from local
    // copies whose commit IDs are not GitHub's). Their own dependencies resolve within the ranges
    // these versions declare.
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types", exact: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
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
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // Non-variadic entry points for the variadic C calls Swift cannot make (amqp_login, curl_easy_setopt).
        .target(name: "CMailpoolShims", dependencies: ["CRabbitMQ", "CCurl"]),

        // Naming a thread (pthread_setname_np needs _GNU_SOURCE, which Swift's Glibc module lacks).
        .target(name: "CPosixThread"),

        // Small primitives shared by the clients and the pipeline (backoff, threads, text, ...).
        .target(name: "MailpoolCore", dependencies: ["CPosixThread", "COpenSSL", .product(name: "Metrics", package: "swift-metrics")]),

        .target(
            name: "MailpoolAMQP",
            dependencies: [
                "MailpoolCore",
                "CRabbitMQ",
                "CMailpoolShims",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),

        // libcurl's multi interface on a thread of its own: HTTP now, IMAP/POP3/SMTP later.
        .target(
            name: "MailpoolCurl",
            dependencies: ["MailpoolCore", "CCurl", "CMailpoolShims"]
        ),

        // POP3, IMAP4 and SMTP through libcurl, for providers other than Microsoft 365.
        .target(
            name: "MailpoolLegacyMail",
            dependencies: ["MailpoolCore", "MailpoolCurl", "CCurl", "CMailpoolShims"]
        ),

        // Microsoft Graph: tokens (client credentials), the shared token cache, mail operations.
        .target(
            name: "MailpoolGraph",
            dependencies: [
                "COpenSSL",
                "MailpoolCore",
                "MailpoolCurl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),

        // Email accounts: the accounts file, its validation and reloading.
        .target(
            name: "MailpoolAccounts",
            dependencies: ["MailpoolCore", .product(name: "Logging", package: "swift-log")]
        ),

        // The inbound pipeline: poller, fetch workers, inbound store, events.
        .target(
            name: "MailpoolPipeline",
            dependencies: [
                "MailpoolAMQP",
                "MailpoolAccounts",
                "MailpoolCore",
                "MailpoolGraph",
                "MailpoolLegacyMail",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // The outbound pipeline: notification contract, validation, senders, retry ladder, dead letters.
        .target(
            name: "MailpoolNotifications",
            dependencies: [
                "MailpoolAMQP",
                "MailpoolAccounts",
                "MailpoolGraph",
                "MailpoolPipeline",
                "MailpoolLegacyMail",
                "MailpoolCurl",
                "MailpoolCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Metrics (Prometheus text on a minimal HTTP listener), health and readiness, log formats.
        .target(
            name: "MailpoolOperations",
            dependencies: [
                "MailpoolCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // A loopback server that behaves like the token endpoint and Graph's mail endpoints.
        .target(
            name: "GraphSandbox",
            dependencies: [
                "MailpoolCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .executableTarget(
            name: "mailpool",
            dependencies: [
                "MailpoolAMQP",
                "MailpoolAccounts",
                "MailpoolGraph",
                "MailpoolPipeline",
                "MailpoolNotifications",
                "MailpoolOperations",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            linkerSettings: releaseLinking
        ),

        // The Graph sandbox as a server of its own (quick start, Compose).
        .executableTarget(
            name: "mailpool-sandbox",
            dependencies: [
                "GraphSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            linkerSettings: releaseLinking
        ),

        // Benchmarks: `swift run -c release mailpool-bench amqp`. CAMQPBaseline is the plain rabbitmq-c
        // program the Swift client is compared against in the same run.
        .target(name: "CAMQPBaseline", dependencies: ["CRabbitMQ"]),
        .executableTarget(
            name: "mailpool-bench",
            dependencies: [
                "MailpoolAMQP",
                "MailpoolAccounts",
                "MailpoolGraph",
                "MailpoolPipeline",
                "MailpoolNotifications",
                "GraphSandbox",
                "CAMQPBaseline",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            linkerSettings: releaseLinking
        ),

        // What the test targets share: waiting for a condition, running programs (rabbitmqctl,
        // openssl, the mailpool executable) without blocking Swift's cooperative threads, and a TCP
        // relay to freeze under a connection.
        .target(name: "MailpoolTestSupport", path: "Tests/MailpoolTestSupport"),
        .testTarget(name: "MailpoolCoreTests", dependencies: ["MailpoolCore"]),
        .testTarget(name: "MailpoolAMQPTests", dependencies: ["MailpoolAMQP", "MailpoolTestSupport"]),
        .testTarget(name: "MailpoolAccountsTests", dependencies: ["MailpoolAccounts", "MailpoolCore"]),
        .testTarget(name: "MailpoolPipelineTests", dependencies: [
            "MailpoolPipeline", "MailpoolAccounts", "MailpoolAMQP", "MailpoolGraph", "GraphSandbox", "MailpoolCurl",
            "MailpoolLegacyMail", "MailpoolCore", "MailpoolNotifications", "MailpoolTestSupport",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["MIMECorpus/python_summary.py"]),
        .testTarget(name: "MailpoolGraphTests", dependencies: ["MailpoolGraph", "GraphSandbox", "MailpoolCurl", "MailpoolCore", "MailpoolTestSupport"]),
    ]
)

/// The `mailpool` executable's modules use `FoundationEssentials`, never all of Foundation: Foundation
/// would link CoreFoundation and ICU into the executable, about 3.5 MB of every worker's resident memory.
/// Nor do they use swift-crypto, which imports Foundation: digests and RSA signatures come from
/// OpenSSL's libcrypto (`COpenSSL`), which libcurl loads anyway. `MemberImportVisibility` keeps a
/// module's calls such as `String.contains(_:)` from resolving to extensions of a module it does not
/// import itself.
let foundationEssentialsModules: Set = [
    "MailpoolCore", "MailpoolAMQP", "MailpoolCurl", "MailpoolLegacyMail", "MailpoolGraph", "MailpoolAccounts",
    "MailpoolPipeline", "MailpoolNotifications", "MailpoolOperations", "mailpool",
]
for target in package.targets where foundationEssentialsModules.contains(target.name) {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("MemberImportVisibility")]
}
