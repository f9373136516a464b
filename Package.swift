// swift-tools-version:6.0
// TLSChat: a TLS-secured group chat server (tlschatd) and client over the chat/1 line protocol.
// Layers point one way: CTLSShim/CLinuxShim (C) <- ChatNet (sockets, loop, TLS) and
// ChatCore (pure protocol logic) <- ChatServerKit (the server assembled; tests run it
// in-process) and ChatClient <- thin executables.
import PackageDescription

/// Release builds of the server's hot path skip Swift's run-time exclusivity checks
/// (measured at about 13% of the server's CPU time in the fan-out benchmark, see
/// BENCHMARKS.md). Debug builds, which run the tests (also under the sanitizers),
/// keep them on.
let releaseSpeed: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "TLSChat",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "tlschatd", targets: ["tlschatd"]),
        .executable(name: "tlschat", targets: ["tlschat"]),
        .executable(name: "tlschat-bench", targets: ["tlschat-bench"]),
        .library(name: "ChatNet", targets: ["ChatNet"]),
        .library(name: "ChatCore", targets: ["ChatCore"]),
        .library(name: "NATSClient", targets: ["NATSClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
    ],
    targets: [
        .target(
            name: "CTLSShim",
            linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]
        ),
        .target(name: "CLinuxShim"),
        .target(name: "ChatNet", dependencies: ["CTLSShim", "CLinuxShim"], swiftSettings: releaseSpeed),
        .target(name: "ChatCore", swiftSettings: releaseSpeed),
        .target(name: "NATSClient", dependencies: ["ChatNet"]),
        .target(name: "ChatClient", dependencies: ["ChatCore"]),
        .systemLibrary(name: "CSQLite"),
        .target(name: "ChatHistory", dependencies: ["ChatCore", "CSQLite"], swiftSettings: releaseSpeed),
        .target(name: "ChatIRC", dependencies: ["ChatCore"], swiftSettings: releaseSpeed),
        .target(name: "ChatCluster", dependencies: ["ChatCore", "ChatNet", "NATSClient"]),
        .target(
            name: "ChatServerKit",
            dependencies: ["ChatNet", "ChatCore", "ChatHistory", "ChatCluster", "ChatIRC", "NATSClient",
                           .product(name: "Logging", package: "swift-log"), .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: releaseSpeed
        ),
        .executableTarget(
            name: "tlschatd",
            dependencies: [
                "ChatServerKit", "ChatNet", "ChatCore", "ChatHistory",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: releaseSpeed
        ),
        .executableTarget(
            name: "tlschat",
            dependencies: [
                "ChatNet", "ChatCore", "ChatClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "tlschat-bench",
            dependencies: [
                "ChatNet", "ChatCore", "CLinuxShim",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: releaseSpeed
        ),
        .testTarget(name: "BenchTests", dependencies: ["tlschat-bench"]),
        .testTarget(
            name: "ChatNetTests",
            dependencies: [
                "ChatNet", "ChatCore", "ChatServerKit", "ChatHistory", "NATSClient",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "NATSClientTests", dependencies: ["NATSClient", "ChatNet"]),
        .testTarget(name: "ChatClientTests", dependencies: ["ChatClient"]),
        .testTarget(name: "ChatIRCTests", dependencies: ["ChatIRC", "ChatCore"]),
        .testTarget(name: "ChatCoreTests", dependencies: ["ChatCore", "ChatHistory"]),
        .testTarget(name: "ChatClusterTests", dependencies: ["ChatCluster", "ChatCore", "ChatNet", "NATSClient"]),
        .testTarget(name: "ChatHistoryTests", dependencies: ["ChatHistory", "ChatCore", "CSQLite"]),
    ]
)
