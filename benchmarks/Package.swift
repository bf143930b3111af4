// swift-tools-version:6.1
import PackageDescription

/// Benchmarks live in their own package so their code never enters users' dependency graph.
let package = Package(
    name: "BatonBenchmarks",
    dependencies: [
        .package(name: "Baton", path: ".."),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .target(name: "BenchmarkSupport"),
        .executableTarget(
            name: "EngineBenchmark",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "BatonEngine", package: "Baton"),
                .product(name: "BatonModel", package: "Baton"),
                .product(name: "BatonBPMN", package: "Baton"),
            ]),
        .executableTarget(
            name: "RecoveryBenchmark",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "BatonRuntime", package: "Baton"),
                .product(name: "BatonFileLog", package: "Baton"),
                .product(name: "BatonLog", package: "Baton"),
                .product(name: "BatonModel", package: "Baton"),
                .product(name: "BatonStorage", package: "Baton"),
            ]),
        .executableTarget(
            name: "WaitingInstancesBenchmark",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "BatonEngine", package: "Baton"),
                .product(name: "BatonModel", package: "Baton"),
                .product(name: "BatonBPMN", package: "Baton"),
                .product(name: "BatonRuntime", package: "Baton"),
            ]),
        .executableTarget(
            name: "EmbeddedBenchmark",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "BatonRuntime", package: "Baton"),
                .product(name: "BatonWorker", package: "Baton"),
                .product(name: "BatonFileLog", package: "Baton"),
                .product(name: "BatonLog", package: "Baton"),
                .product(name: "BatonModel", package: "Baton"),
                .product(name: "BatonStorage", package: "Baton"),
                .product(name: "BatonKafka", package: "Baton"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]),
        .executableTarget(
            name: "HTTPWorkerBenchmark",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "BatonConfiguredWorkers", package: "Baton"),
                .product(name: "BatonRuntime", package: "Baton"),
                .product(name: "BatonWorker", package: "Baton"),
                .product(name: "BatonFileLog", package: "Baton"),
                .product(name: "BatonLog", package: "Baton"),
                .product(name: "BatonModel", package: "Baton"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "IngestBenchmark",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "BatonIngest", package: "Baton"),
                .product(name: "BatonRuntime", package: "Baton"),
                .product(name: "BatonWorker", package: "Baton"),
                .product(name: "BatonFileLog", package: "Baton"),
                .product(name: "BatonLog", package: "Baton"),
                .product(name: "BatonModel", package: "Baton"),
                .product(name: "BatonStorage", package: "Baton"),
            ]),
        .executableTarget(
            name: "GatewayBenchmark",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "BatonGateway", package: "Baton"),
                .product(name: "BatonRuntime", package: "Baton"),
                .product(name: "BatonWorker", package: "Baton"),
                .product(name: "BatonFileLog", package: "Baton"),
                .product(name: "BatonLog", package: "Baton"),
                .product(name: "BatonModel", package: "Baton"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
