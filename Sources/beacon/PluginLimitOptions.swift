import ArgumentParser
import PluginHost

/// Options that shape how plugins run, shared by `serve` and `check`. Each is nil when not given,
/// so that for `serve` the config file can set it.
struct PluginLimitOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Memory cap of each plugin's Lua state, in MiB (default: \(SettingKey.pluginMemory.defaultValue)).",
        valueName: "MiB"))
    var pluginMemory: Int?

    @Option(help: ArgumentHelp(
        "The largest encoded result a check may send, in bytes (default: \(SettingKey.maxEventBytes.defaultValue)).",
        valueName: "bytes"))
    var maxEventBytes: Int?

    @Option(help: ArgumentHelp(
        "How long a plugin's top-level code may run when it loads, in seconds (default: \(SettingKey.loadTimeout.defaultValue)).",
        valueName: "seconds"))
    var loadTimeout: Double?

    /// The options given, by setting.
    var values: SettingValues {
        var values: SettingValues = [:]
        values[.pluginMemory] = pluginMemory.map(SettingValue.integer)
        values[.maxEventBytes] = maxEventBytes.map(SettingValue.integer)
        values[.loadTimeout] = loadTimeout.map(SettingValue.number)
        return values
    }

    func validate() throws {
        try SettingKey.validate(values)
    }
}
