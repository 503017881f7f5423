import ArgumentParser
import PluginAPI
import PluginHost

/// Options that shape how plugins run, shared by `serve` and `check`.
struct PluginLimitOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Memory cap of each plugin's Lua state, in MiB.", valueName: "MiB"))
    var pluginMemory: Int = 64

    @Option(help: ArgumentHelp("The largest encoded result a check may send, in bytes.", valueName: "bytes"))
    var maxEventBytes: Int = 64 << 10

    @Option(help: ArgumentHelp("How long a plugin's top-level code may run when it loads, in seconds.",
                               valueName: "seconds"))
    var loadTimeout: Double = 10

    func validate() throws {
        guard pluginMemory >= 1 else { throw ValidationError("--plugin-memory must be at least 1 (MiB)") }
        guard maxEventBytes >= 64 else { throw ValidationError("--max-event-bytes must be at least 64") }
        guard loadTimeout > 0 else { throw ValidationError("--load-timeout must be more than 0 seconds") }
    }

    func hostConfiguration(directory: String) -> PluginHostConfiguration {
        PluginHostConfiguration(
            directory: directory,
            pluginMemoryBytes: pluginMemory << 20,
            maxEventBytes: maxEventBytes,
            loadTimeout: loadTimeout,
            hostFunctions: PluginAPI.hostFunctions())
    }
}
