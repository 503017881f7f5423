// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    // Linux only: the plugin host functions use Linux system calls (pidfd, /proc).
    name: "Beacon",
    products: [
        .executable(name: "beacon", targets: ["beacon"]),
        .executable(name: "beacon-bench", targets: ["beacon-bench"]),
        // The libraries, for the fuzz targets (Fuzz/) and micro benchmarks (bench/micro/), which are
        // packages of their own so that the main build and test run stay lean.
        .library(name: "LuaKit", targets: ["LuaKit"]),
        .library(name: "EventHub", targets: ["EventHub"]),
        .library(name: "PluginHost", targets: ["PluginHost"]),
        .library(name: "BeaconHTTP", targets: ["BeaconHTTP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // The C boundary: Lua 5.4 from the system, plus small C shims for macros and error raising.
        .systemLibrary(
            name: "CLua",
            pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev", "pkg-config"])]
        ),
        // One sandboxed lua_State: protected calls, limits, value conversion. No Dispatch, no HTTP.
        .target(name: "LuaKit", dependencies: ["CLua"], swiftSettings: strict),
        // The host functions plugins call for real checks: beacon.http, beacon.tcp, beacon.exec,
        // beacon.sleep.
        // Knows LuaKit's host-function types, nothing of plugins or streams.
        .target(
            name: "PluginAPI",
            dependencies: [
                "LuaKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        // A cache hint the fan-out gives ahead of each subscriber's write. C because Swift has none.
        .target(name: "CPrefetch"),
        // What a durable event store offers (appends in id order, latest per stream, events after an
        // id, a time range, retention) and the batching writer in front of one. No database code.
        .target(
            name: "EventStore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // The event store in one SQLite file (GRDB, WAL mode, a versioned schema).
        .target(
            name: "SQLiteEventStore",
            dependencies: [
                "EventStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        // The event store in a PostgreSQL database (postgres-nio), shared by the nodes of a cluster:
        // a versioned schema, ids in commit order, writes fenced by a plugin's lease.
        .target(
            name: "PostgresEventStore",
            dependencies: [
                "EventStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // A node of a cluster on one PostgreSQL: membership and plugin leases with fencing, fenced
        // commits of this node's results, and the feed of every node's events into the hub.
        // Knows nothing of Lua or HTTP.
        .target(
            name: "BeaconCluster",
            dependencies: [
                "EventStore", "EventHub", "PostgresEventStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // Subscribers, history, SSE framing, fan-out. No Lua, no database.
        .target(
            name: "EventHub",
            dependencies: [
                "CPrefetch",
                "EventStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // Plugin discovery, contract, scheduling and reload. Emits results to a sink. No HTTP.
        .target(
            name: "PluginHost",
            dependencies: [
                "LuaKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // Routes and streaming responses on SwiftNIO. No Lua, no timers of plugins.
        .target(
            name: "BeaconHTTP",
            dependencies: [
                "EventHub",
                "EventStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The command line: parses options, wires the pieces, runs them as services of one ServiceGroup.
        .executableTarget(
            name: "beacon",
            dependencies: [
                "PluginHost", "PluginAPI", "EventHub", "BeaconHTTP", "EventStore", "SQLiteEventStore", "PostgresEventStore", "BeaconCluster",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The benchmark load generator: SSE subscribers and a publisher on SwiftNIO, for any SSE
        // server on loopback. Imports no Beacon target, so it measures Beacon from outside.
        .executableTarget(
            name: "beacon-bench",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "LuaKitTests", dependencies: ["LuaKit"]),
        .testTarget(
            name: "PluginAPITests",
            dependencies: [
                "PluginAPI", "LuaKit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "EventHubTests",
            dependencies: [
                "EventHub",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SQLiteEventStoreTests",
            dependencies: [
                "SQLiteEventStore", "EventStore", .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "PostgresEventStoreTests",
            dependencies: ["PostgresEventStore", "EventStore", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "PluginHostTests",
            dependencies: [
                "PluginHost",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "BeaconHTTPTests",
            dependencies: [
                "BeaconHTTP", "EventHub",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        // The command line's settings: flags, the config file, defaults and their checks.
        .testTarget(name: "beaconTests", dependencies: ["beacon"]),
        // Runs the built `beacon` binary as a child process on loopback; GRDB only to craft store
        // files that Beacon must refuse.
        .testTarget(name: "EndToEndTests", dependencies: ["beacon", .product(name: "GRDB", package: "GRDB.swift")]),
    ]
)
