/// A call from Lua with arguments of the wrong shape. It becomes a Lua error (raised by LuaKit's
/// C trampoline), because it is a bug in the plugin rather than a failed check.
struct HostArgumentError: Error {
    /// The full message, prefixed with the function name (`beacon.exec: argv must be ...`).
    var message: String

    init(_ function: String, _ problem: String) {
        self.message = "\(function): \(problem)"
    }
}
