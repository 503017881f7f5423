// swift-tools-version:6.1
import PackageDescription

// Beacon's micro benchmarks: a package of its own, so that the main build and test run stay lean.
// Run from this folder with `swift package benchmark` (see bench/README.md).

// Beacon's package is two folders up; a path dependency's identity is its folder's name, whatever
// the checkout is called.
let beacon = Context.packageDirectory.split(separator: "/").dropLast(2).last.map { String($0).lowercased() } ?? "beacon"

let package = Package(
    name: "BeaconBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "BeaconMicro",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "LuaKit", package: beacon),
                .product(name: "EventHub", package: beacon),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "Benchmarks/BeaconMicro",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
