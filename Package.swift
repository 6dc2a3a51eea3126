// swift-tools-version:6.0
import PackageDescription

/// CoinDaily Realtime: the gateway, the auth service, the producers and their shared libraries.
///
/// One library module per concern; executables only parse configuration and wire parts together.
let package = Package(
    name: "coindaily-realtime",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "coindaily-gateway", targets: ["coindaily-gateway"]),
        .executable(name: "coindaily-auth", targets: ["coindaily-auth"]),
        .executable(name: "coindaily-sentiment", targets: ["coindaily-sentiment"]),
        .executable(name: "coindaily-whale", targets: ["coindaily-whale"]),
        .executable(name: "coindaily-trending", targets: ["coindaily-trending"]),
        .executable(name: "coindaily-tasks", targets: ["coindaily-tasks"]),
        .executable(name: "coindaily-budget", targets: ["coindaily-budget"]),
        .executable(name: "coindaily-moderation", targets: ["coindaily-moderation"]),
        .executable(name: "coindaily-health", targets: ["coindaily-health"]),
        .executable(name: "coindaily", targets: ["coindaily"]),
        .executable(name: "coindaily-bench", targets: ["coindaily-bench"]),
        .library(name: "CoinDailyRedis", targets: ["CoinDailyRedis"]),
        .library(name: "CoinDailyProtocol", targets: ["CoinDailyProtocol"]),
        .library(name: "CoinDailyGateway", targets: ["CoinDailyGateway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "4.1.0"..<"6.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // MARK: C shim
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),

        // MARK: Libraries
        .target(
            name: "CoinDailyRedis",
            dependencies: [
                "CHiredis",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .target(
            name: "CoinDailyProtocol",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "CoinDailySocketIO",
            dependencies: [
                "CoinDailyProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "CoinDailyAuthCore",
            dependencies: [
                "CoinDailyProtocol",
                "CoinDailyRedis",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "CoinDailyService",
            dependencies: [
                "CoinDailyRedis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "CoinDailyGateway",
            dependencies: [
                "CoinDailySocketIO",
                .product(name: "DequeModule", package: "swift-collections"),
                "CoinDailyProtocol",
                "CoinDailyRedis",
                "CoinDailyAuthCore",
                "CoinDailyService",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "CoinDailyProducer",
            dependencies: [
                "CoinDailyProtocol",
                "CoinDailyRedis",
                "CoinDailyService",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "CoinDailySentiment",
            dependencies: [
                "CoinDailyProtocol",
                "CoinDailyProducer",
                "CoinDailyRedis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "CoinDailyAuthService",
            dependencies: [
                "CoinDailyAuthCore",
                "CoinDailyProtocol",
                "CoinDailyRedis",
                "CoinDailyService",
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "CoinDailyClient",
            dependencies: [
                "CoinDailyProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),

        .target(
            name: "CoinDailyWhale",
            dependencies: [
                "CoinDailyProtocol", "CoinDailyProducer", "CoinDailyRedis", "CoinDailyService",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "CoinDailyTrending",
            dependencies: [
                "CoinDailyProtocol", "CoinDailyProducer", "CoinDailyRedis", "CoinDailyService",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "CoinDailyTasks",
            dependencies: [
                "CoinDailyProtocol", "CoinDailyProducer", "CoinDailyRedis", "CoinDailyService",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "CoinDailyBudget",
            dependencies: [
                "CoinDailyProtocol", "CoinDailyProducer", "CoinDailyRedis", "CoinDailyService",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "CoinDailyModeration",
            dependencies: [
                "CoinDailyProtocol", "CoinDailyProducer", "CoinDailyRedis", "CoinDailyService",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "CoinDailyHealth",
            dependencies: [
                "CoinDailyProtocol", "CoinDailyProducer", "CoinDailyRedis", "CoinDailyService",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        .target(
            name: "CoinDailyTestSupport",
            dependencies: [
                "CoinDailyRedis", "CoinDailyProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/CoinDailyTestSupport"
        ),

        // MARK: Executables
        .executableTarget(
            name: "coindaily-gateway",
            dependencies: [
                "CoinDailyGateway", "CoinDailyService", "CoinDailyRedis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "coindaily-auth",
            dependencies: [
                "CoinDailyAuthService", "CoinDailyService", "CoinDailyRedis",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "coindaily-sentiment",
            dependencies: [
                "CoinDailySentiment", "CoinDailyProducer", "CoinDailyService", "CoinDailyRedis",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "coindaily",
            dependencies: [
                "CoinDailyClient", "CoinDailyProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "coindaily-bench",
            dependencies: [
                "CoinDailyClient", "CoinDailyRedis", "CoinDailyProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .executableTarget(
            name: "coindaily-whale",
            dependencies: [
                "CoinDailyWhale", "CoinDailyProducer", "CoinDailyService", "CoinDailyRedis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "coindaily-trending",
            dependencies: [
                "CoinDailyTrending", "CoinDailyProducer", "CoinDailyService", "CoinDailyRedis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "coindaily-tasks",
            dependencies: [
                "CoinDailyTasks", "CoinDailyProducer", "CoinDailyService", "CoinDailyRedis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "coindaily-budget",
            dependencies: [
                "CoinDailyBudget", "CoinDailyProducer", "CoinDailyService", "CoinDailyRedis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "coindaily-moderation",
            dependencies: [
                "CoinDailyModeration", "CoinDailyProducer", "CoinDailyService", "CoinDailyRedis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "coindaily-health",
            dependencies: [
                "CoinDailyHealth", "CoinDailyProducer", "CoinDailyProtocol", "CoinDailyService", "CoinDailyRedis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: Tests
        .testTarget(
            name: "CoinDailyRedisTests",
            dependencies: [
                "CoinDailyTestSupport",
                "CoinDailyRedis",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "CoinDailyProtocolTests",
            dependencies: [
                "CoinDailyProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "CoinDailyGatewayTests",
            dependencies: [
                "CoinDailyGateway", "CoinDailyProtocol", "CoinDailyAuthCore", "CoinDailyRedis", "CoinDailyTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CoinDailySentimentTests",
            dependencies: [
                "CoinDailySentiment", "CoinDailyProducer", "CoinDailyProtocol", "CoinDailyRedis", "CoinDailyTestSupport",
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "CoinDailySocketIOTests",
            dependencies: [
                "CoinDailySocketIO", "CoinDailyProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "CoinDailyAuthTests",
            dependencies: [
                "CoinDailyAuthCore", "CoinDailyAuthService", "CoinDailyService", "CoinDailyRedis", "CoinDailyProtocol",
                "CoinDailyTestSupport",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
            .testTarget(
            name: "CoinDailyWhaleTests",
            dependencies: [
                "CoinDailyTestSupport",
                "CoinDailyWhale", "CoinDailyProtocol", "CoinDailyRedis", "CoinDailyProducer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CoinDailyTrendingTests",
            dependencies: [
                "CoinDailyTestSupport",
                "CoinDailyTrending", "CoinDailyProtocol", "CoinDailyRedis", "CoinDailyProducer", "CoinDailySentiment",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CoinDailyTasksTests",
            dependencies: [
                "CoinDailyTestSupport",
                "CoinDailyTasks", "CoinDailyProtocol", "CoinDailyRedis",
                "CoinDailyProducer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CoinDailyBudgetTests",
            dependencies: [
                "CoinDailyTestSupport",
                "CoinDailyBudget", "CoinDailyProtocol", "CoinDailyRedis",
                "CoinDailyProducer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CoinDailyModerationTests",
            dependencies: [
                "CoinDailyTestSupport",
                "CoinDailyModeration", "CoinDailyProtocol", "CoinDailyRedis", "CoinDailyProducer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CoinDailyProducerTests",
            dependencies: [
                "CoinDailyTestSupport",
                "CoinDailyProducer", "CoinDailyProtocol", "CoinDailyRedis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CoinDailyHealthTests",
            dependencies: [
                "CoinDailyTestSupport",
                "CoinDailyHealth", "CoinDailyProtocol", "CoinDailyRedis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
