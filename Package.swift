// swift-tools-version:6.1
import PackageDescription

/// Dependency direction (docs/DESIGN.md §2): the pure modules (BatonModel) import no I/O;
/// BatonBPMN reads XML through libxml2 and produces the pure executable model.
let package = Package(
    name: "Baton",
    products: [
        .executable(name: "baton", targets: ["baton"]),
        .library(name: "BatonModel", targets: ["BatonModel"]),
        .library(name: "BatonBPMN", targets: ["BatonBPMN"]),
        .library(name: "BatonEngine", targets: ["BatonEngine"]),
        .library(name: "BatonLog", targets: ["BatonLog"]),
        .library(name: "BatonFileLog", targets: ["BatonFileLog"]),
        .library(name: "BatonStorage", targets: ["BatonStorage"]),
        .library(name: "BatonKafka", targets: ["BatonKafka"]),
        .library(name: "BatonRuntime", targets: ["BatonRuntime"]),
        .library(name: "BatonWorker", targets: ["BatonWorker"]),
        .library(name: "BatonConfiguredWorkers", targets: ["BatonConfiguredWorkers"]),
        .library(name: "BatonMetrics", targets: ["BatonMetrics"]),
        .library(name: "BatonGateway", targets: ["BatonGateway"]),
        .library(name: "BatonIngest", targets: ["BatonIngest"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // Without its Foundation trait: no Foundation next to libxml2's ICU headers.
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2", traits: []),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        // Without its default traits: no full Foundation, no swift-configuration.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    ],
    targets: [
        // C libraries from Debian, one small system-library target each.
        .systemLibrary(
            name: "CLibXML2", pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(
            name: "CLZ4", pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(
            name: "CRdKafka", pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]),

        // PURE: executable process graph, expressions, records.
        .target(name: "BatonModel"),
        // PURE: processors, appliers, element behaviours, expression evaluation.
        .target(name: "BatonEngine", dependencies: ["BatonModel"]),
        // The log contract and the in-memory backend (murmur2 partitioning lives in BatonModel:
        // the engine checks where a message's correlation key belongs).
        .target(name: "BatonLog", dependencies: ["BatonModel"]),
        // The embedded durable log: segments, CRC32C, lz4 batches, group-commit fsync.
        .target(name: "BatonFileLog", dependencies: ["BatonLog", "BatonStorage"]),
        // Durable-file building blocks shared by the file log and snapshots: POSIX calls
        // that name the path at fault, atomic replace, CRC32C, LZ4 blocks.
        .target(name: "CCRC32C"),
        .target(name: "BatonStorage", dependencies: ["BatonLog", "CLZ4", "CCRC32C"]),
        // Stream processor: partitions -> replay -> process -> append; timers; snapshots.
        .target(
            name: "BatonRuntime",
            dependencies: [
                "BatonEngine", "BatonModel", "BatonLog", "BatonBPMN", "BatonStorage",
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]),
        // Worker SDK: subscribe to task topics, answer with complete / failure / bpmnError.
        .target(name: "BatonWorker", dependencies: ["BatonModel", "BatonLog", .product(name: "CoreMetrics", package: "swift-metrics")]),
        // Workers without code: a topic mapped to an HTTP endpoint or a command (workers.yaml).
        .target(
            name: "BatonConfiguredWorkers",
            dependencies: [
                "BatonWorker", "BatonModel", "BatonLog",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Yams", package: "Yams"),
            ]),
        // Order events from a source topic become commands: rules, dead letters, offsets.
        .target(
            name: "BatonIngest",
            dependencies: [
                "BatonRuntime", "BatonModel", "BatonLog", "BatonConfiguredWorkers",
                .product(name: "Yams", package: "Yams"),
            ]),
        // Prometheus metrics (swift-metrics + swift-prometheus) and the `/metrics` endpoint.
        .target(
            name: "BatonMetrics",
            dependencies: [
                "BatonLog", "BatonModel",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]),
        // The REST gateway (Hummingbird): Camunda 7's external-task API over the log.
        .target(
            name: "BatonGateway",
            dependencies: [
                "BatonRuntime", "BatonWorker", "BatonModel", "BatonLog", "BatonEngine", "BatonBPMN",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]),
        // librdkafka bridge: producer, consumer, admin (the Kafka backend is being built).
        .target(name: "BatonKafka", dependencies: ["BatonLog", "BatonModel", "CRdKafka"]),
        // BPMN 2.0 XML -> document model -> executable model, with validation.
        .target(name: "BatonBPMN", dependencies: ["BatonModel", "CLibXML2"]),

        .executableTarget(
            name: "baton",
            dependencies: [
                "BatonBPMN", "BatonModel", "BatonEngine", "BatonLog", "BatonFileLog", "BatonRuntime", "BatonWorker", "BatonStorage", "BatonKafka",
                "BatonConfiguredWorkers", "BatonMetrics", "BatonGateway", "BatonIngest",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // Helpers shared by the test targets (test data paths, BPMN snippets).
        .target(name: "BatonTestSupport", dependencies: ["BatonBPMN", "BatonStorage", "BatonKafka", "BatonLog", "BatonModel"], path: "Tests/BatonTestSupport"),
        .testTarget(name: "BatonModelTests", dependencies: ["BatonModel"]),
        .testTarget(name: "BatonIngestTests", dependencies: ["BatonIngest", "BatonLog", "BatonModel", "BatonStorage", "BatonTestSupport"]),
        // No test target that reaches libxml2 (BatonBPMN) imports Foundation: in a clean
        // parallel build, Foundation's ICU headers and the system's (through libxml2) clash.
        .testTarget(name: "BatonEngineTests", dependencies: ["BatonEngine", "BatonModel", "BatonBPMN", "BatonStorage", "BatonTestSupport"]),
        .testTarget(name: "BatonBPMNTests", dependencies: ["BatonBPMN", "BatonModel", "BatonTestSupport"]),
        .testTarget(name: "BatonLogTests", dependencies: ["BatonLog", "BatonModel", "BatonFileLog", "BatonStorage", "BatonKafka", "CRdKafka", "BatonTestSupport"]),
        .testTarget(
            name: "BatonRuntimeTests",
            dependencies: ["BatonRuntime", "BatonWorker", "BatonFileLog", "BatonLog", "BatonEngine", "BatonModel", "BatonBPMN", "BatonStorage", "BatonTestSupport"]),
        .testTarget(name: "BatonGatewayTests", dependencies: ["BatonGateway", "BatonModel", "BatonFileLog", "BatonLog", "BatonRuntime", "BatonWorker", "BatonTestSupport"]),
        .testTarget(name: "BatonKafkaTests", dependencies: ["BatonKafka", "BatonLog", "BatonModel", "BatonTestSupport"]),
        .testTarget(name: "SystemLibraryTests", dependencies: ["CLZ4", "CRdKafka", "CLibXML2"]),
    ],
    swiftLanguageModes: [.v6]
)
