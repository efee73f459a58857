// swift-tools-version:6.2
import PackageDescription

/// Our own targets build with zero warnings: any warning fails the build (dependencies are exempt).
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

/// Both test targets build on the library and the shared test helpers.
let testDependencies: [Target.Dependency] = [
    "Torrus",
    "TorrusTestSupport",
    .product(name: "HummingbirdTesting", package: "hummingbird"),
]

let package = Package(
    name: "torrus",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "torrusd", targets: ["torrusd"]),
        .library(name: "Torrus", targets: ["Torrus"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
    ],
    targets: [
        // libcurl, through static inline shims: Swift cannot call C variadics (curl_easy_setopt & co).
        .systemLibrary(name: "CCurl", path: "Sources/CCurl"),
        .target(
            name: "Torrus",
            dependencies: [
                "CCurl",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ],
            // The API's contract, served at /v1/openapi.json (PackageResources.openapi_json).
            resources: [.embedInCode("API/openapi.json")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "torrusd",
            dependencies: [
                "Torrus",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Benchmarks print numbers; they are not tests. Run: swift run -c release torrus-bench
        .executableTarget(
            name: "torrus-bench",
            dependencies: [
                "Torrus",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/TorrusBench",
            swiftSettings: strict
        ),
        // Unit tests: in process, no aria2c, no sockets, a few seconds. `swift test --filter TorrusTests`
        .testTarget(
            name: "TorrusTests",
            dependencies: testDependencies,
            swiftSettings: strict
        ),
        // Against real processes and sockets: aria2c, the torrusd binary, live HTTP servers and
        // the Python test peers (Tests/Support/testpeers.py).
        .testTarget(
            name: "TorrusIntegrationTests",
            dependencies: testDependencies,
            swiftSettings: strict
        ),
        // Helpers both test targets use; it holds no tests. A test target rather than a library,
        // so `swift build` (release builds too) never compiles it, nor HummingbirdTesting with it.
        .testTarget(
            name: "TorrusTestSupport",
            dependencies: [
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
