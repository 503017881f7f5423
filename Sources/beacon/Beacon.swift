import ArgumentParser

/// `beacon`: streams the results of Lua status checks as Server-Sent Events.
@main
struct Beacon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beacon",
        abstract: "Run Lua status checks on timers and stream their results as Server-Sent Events.",
        discussion: """
            Every file NAME.lua in the plugins folder is a plugin: it sets `schedule` and defines \
            check_status(). Each result is sent as the event NAME on GET /events/NAME. \
            Send SIGHUP to reload the folder without dropping subscribers.
            """,
        subcommands: [Serve.self, Check.self],
        defaultSubcommand: Serve.self
    )
}
