// swift-tools-version:6.0
import PackageDescription

/// Benchmarks live in their own package so their code never enters users' dependency graph.
let package = Package(
    name: "BatonBenchmarks",
    dependencies: [.package(name: "Baton", path: "..")],
    targets: [
        .executableTarget(
            name: "EngineBenchmark",
            dependencies: [
                .product(name: "BatonEngine", package: "Baton"),
                .product(name: "BatonModel", package: "Baton"),
                .product(name: "BatonBPMN", package: "Baton"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
