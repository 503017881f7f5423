// swift-tools-version:6.1
import PackageDescription

// Beacon's fuzz targets: a package of their own so that the main build and test run stay lean.
//
// `scripts/fuzz` builds the two executables with libFuzzer and AddressSanitizer and runs each for
// a bounded time; `swift test` here replays the committed corpus and every crash ever found
// through the same entry points, without the fuzzer. See docs/RELIABILITY.md ("Fuzzing").
//
// The harness reaches BeaconHTTP's internal pipeline builder with `@testable import`, so the
// package is built with testability on: the default in debug builds, `-enable-testing` in release.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "BeaconFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Beacon", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // The entry points and their invariants, shared by the fuzz executables and the tests.
        .target(
            name: "FuzzHarness",
            dependencies: [
                .product(name: "LuaKit", package: "Beacon"),
                .product(name: "EventHub", package: "Beacon"),
                .product(name: "BeaconHTTP", package: "Beacon"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The fuzz executables. Their main modules are C (a few lines calling into FuzzHarness):
        // SwiftPM aliases `main` to a Swift executable's renamed entry point, which collides with
        // libFuzzer's own `main`.
        //
        // Raw request bytes through a connection's HTTP pipeline.
        .executableTarget(name: "FuzzRouting", dependencies: ["FuzzHarness", "FuzzReplay"]),
        // Lua values built from bytes in a real sandbox, encoded to JSON.
        .executableTarget(name: "FuzzLuaJSON", dependencies: ["FuzzHarness", "FuzzReplay"]),
        // Without libFuzzer, the executables replay the files they are given.
        .target(name: "FuzzReplay"),
        .testTarget(name: "FuzzHarnessTests", dependencies: ["FuzzHarness"], swiftSettings: strict),
    ]
)
