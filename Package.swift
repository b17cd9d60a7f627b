// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "cairn",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cairn", targets: ["cairn"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/JohnSundell/Ink.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "4.1.0" ..< "5.0.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // Domain types and IDs. No I/O, nothing beyond Foundation.
        .target(name: "CairnCore", exclude: ["README.md"], swiftSettings: swiftSettings),
        // The course file format: parse, validate, render lesson Markdown.
        .target(
            name: "Curriculum",
            dependencies: [
                "CairnCore",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Ink", package: "Ink"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        // Graders per task type, rubric checks, span overlap, personal-data detection, agreement.
        .target(name: "Grading", dependencies: ["CairnCore", "Curriculum"], exclude: ["README.md"], swiftSettings: swiftSettings),
        // Item response models, ability estimation, calibration, item analysis, DIF, adaptive testing.
        .target(name: "Psychometrics", exclude: ["README.md"], swiftSettings: swiftSettings),
        // Open Badges 3.0 credentials: the data model, VC-JWT signing and verification (ES256
        // over swift-crypto), did:web keys, Bitstring Status Lists (GZIP through compress-nio).
        // The only target that imports crypto.
        .target(
            name: "Credentials",
            dependencies: [
                "CairnCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Tutor policy, hints, knowledge tracing, retrieval over course text.
        .target(name: "Tutoring", dependencies: ["CairnCore", "Curriculum", "Grading"], exclude: ["README.md"], swiftSettings: swiftSettings),
        // Use cases; declares the storage, clock and hashing protocols it needs.
        .target(
            name: "AppServices",
            dependencies: [
                "CairnCore",
                "Curriculum",
                "Grading",
                "Tutoring",
                "Psychometrics",
                "Credentials",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        // Schema, migrations and repositories over SQLite and PostgreSQL.
        .target(
            name: "Storage",
            dependencies: [
                "CairnCore",
                "AppServices",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        // The OpenAI-compatible Chat Completions client (streaming, time-outs, retries); implements
        // the ChatModel protocol AppServices declares.
        .target(
            name: "LanguageModel",
            dependencies: [
                "AppServices",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        // Hummingbird routes (HTML + JSON), auth, middleware, templates; the composition root.
        .target(
            name: "WebApp",
            dependencies: [
                "CairnCore",
                "Curriculum",
                "Grading",
                "Tutoring",
                "AppServices",
                "Storage",
                "Credentials",
                "LanguageModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            exclude: ["README.md"],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "cairn",
            dependencies: [
                "WebApp",
                "AppServices",
                "CairnCore",
                "Curriculum",
                "Storage",
                "Psychometrics",
                "Credentials",
                "LanguageModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Credential issuing and verification throughput (scripts/bench-credentials).
        .executableTarget(name: "credentials-bench", dependencies: ["Credentials"], path: "Benchmarks/Credentials", swiftSettings: swiftSettings),
        // Grading throughput (scripts/bench-grading); a benchmark, not a test.
        .executableTarget(
            name: "cairn-bench", dependencies: ["Grading", "Curriculum", "CairnCore"], path: "Benchmarks/Grading",
            swiftSettings: swiftSettings
        ),
        // The learning loop's submit in process, without HTTP (scripts/bench-learning); a benchmark, not a test.
        .executableTarget(
            name: "learning-bench",
            dependencies: [
                "AppServices", "Storage", "Curriculum", "CairnCore", "Grading", "WebApp",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Benchmarks/Learning", swiftSettings: swiftSettings
        ),
        // Psychometrics speed and recovery (scripts/bench-psychometrics); a benchmark, not a test.
        .executableTarget(
            name: "psychometrics-bench", dependencies: ["Psychometrics"], path: "Benchmarks/Psychometrics",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "CairnCoreTests", dependencies: ["CairnCore"], swiftSettings: swiftSettings),
        .testTarget(name: "CurriculumTests", dependencies: ["Curriculum", "CairnCore"], swiftSettings: swiftSettings),
        .testTarget(name: "GradingTests", dependencies: ["Grading", "Tutoring", "Curriculum", "CairnCore"], swiftSettings: swiftSettings),
        .testTarget(name: "PsychometricsTests", dependencies: ["Psychometrics"], swiftSettings: swiftSettings),
        .testTarget(name: "CredentialsTests", dependencies: ["Credentials"], swiftSettings: swiftSettings),
        .testTarget(name: "TutoringTests", dependencies: ["Tutoring", "Grading", "Curriculum", "CairnCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "AppServicesTests",
            dependencies: [
                "AppServices", "Storage", "Curriculum", "Grading", "Tutoring", "Psychometrics", "CairnCore", "Credentials", "LanguageModel",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: ["Storage", "AppServices", "CairnCore", .product(name: "Logging", package: "swift-log"), .product(name: "SQLKit", package: "sql-kit")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LanguageModelTests",
            dependencies: [
                "LanguageModel", "AppServices",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WebAppTests",
            dependencies: [
                "WebApp", "AppServices", "Storage", "CairnCore", "LanguageModel",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
