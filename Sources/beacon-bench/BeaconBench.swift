import ArgumentParser

/// `beacon-bench`: the load generator of Beacon's benchmarks.
@main
struct BeaconBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beacon-bench",
        abstract: "Load generator for Server-Sent Events servers on this machine's loopback.",
        discussion: """
            Measures any SSE server (Beacon, nchan, a floor): `load` opens subscribers and reports \
            events, latency and the server's CPU and memory as one JSON line; `publish` feeds a \
            server that takes events by HTTP POST. Only 127.0.0.0/8, [::1] and localhost are \
            accepted as targets, and every run is bounded in connections and time.
            """,
        subcommands: [Load.self, Publish.self]
    )
}
