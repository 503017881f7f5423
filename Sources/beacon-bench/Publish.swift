import ArgumentParser

/// `beacon-bench publish`: POST `{"t": now}` to a loopback URL at a steady rate.
struct Publish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "POST {\"t\": <Unix seconds>} to a loopback URL at a steady rate (a publisher for nchan).",
        discussion: """
            Sends --rate requests per second for --duration seconds on one keep-alive connection \
            (reconnecting when the server closes it). A tick that comes while the previous request \
            is still unanswered is skipped and counted. Prints one JSON line (url, rate, duration_s, \
            sent, ok, skipped, statuses, errors) on standard output.

            Exit status: 0 when at least one request got a 2xx answer, 1 when none did, 2 when it \
            could not set up.
            """
    )

    @Argument(help: ArgumentHelp("The publishing URL on loopback, such as http://127.0.0.1:8090/pub/bench.",
                                 valueName: "url"))
    var url: String

    @Option(help: ArgumentHelp("Requests per second.", valueName: "per-second"))
    var rate = 5.0

    @Option(help: ArgumentHelp("Seconds to publish for.", valueName: "seconds"))
    var duration = 10.0

    @Option(help: ArgumentHelp("The JSON field that carries the time.", valueName: "name"))
    var field = "t"

    @Option(help: ArgumentHelp("Seconds a connection may take to open.", valueName: "seconds"))
    var connectTimeout = 5.0

    func validate() throws {
        guard rate > 0, rate <= 10_000 else { throw ValidationError("--rate must be above 0 and at most 10000 per second.") }
        guard duration > 0, duration <= 86_400 else { throw ValidationError("--duration must be above 0 and at most 86400 seconds.") }
        guard connectTimeout >= 0.1, connectTimeout <= 120 else {
            throw ValidationError("--connect-timeout must be from 0.1 to 120 seconds.")
        }
        guard !field.isEmpty, !field.contains("\""), !field.contains("\\") else {
            throw ValidationError("--field must be a plain name.")
        }
    }

    func run() async throws {
        let target: LoopbackURL
        do {
            target = try LoopbackURL(url)
        } catch let error as BenchError {
            Output.note("beacon-bench: \(error)")
            throw ExitCode(2)
        }
        let result = try await Publisher.run(
            url: target, rate: rate, duration: duration, field: field, connectTimeout: connectTimeout)
        Output.result(result.json.text)
        Output.note(result.summary)
        if result.ok == 0 { throw ExitCode(1) }
    }
}
