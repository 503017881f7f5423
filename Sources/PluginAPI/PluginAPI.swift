public import LuaKit

/// The host functions plugins use for real checks, installed under the global `beacon` table:
/// `beacon.http.get`, `beacon.http.request`, `beacon.tcp.connect` and `beacon.exec`.
///
/// Every function blocks the thread running the check while it waits (never a NIO event loop) and
/// gives up at its own timeout or the run's deadline, whichever comes first. Failures of the thing
/// being checked come back as `nil, "message"`; arguments of the wrong shape raise a Lua error.
/// See docs/HOST-API.md for the Lua side.
public enum PluginAPI {
    /// The functions to pass as `LuaEnvironment.hostFunctions`, keyed by their path under `beacon`.
    ///
    /// The HTTP client and its event loop thread are created on first use and shared by the whole
    /// process; calling this function again is cheap.
    public static func hostFunctions(
        configuration: PluginAPIConfiguration = PluginAPIConfiguration()
    ) -> [String: LuaHostFunction] {
        let http = HTTPCheck(configuration: configuration)
        let tcp = TCPCheck(configuration: configuration)
        let exec = ExecCheck(configuration: configuration)
        return [
            "http.get": { call in lua { try http.get(call) } },
            "http.request": { call in lua { try http.request(call) } },
            "tcp.connect": { call in lua { try tcp.connect(call) } },
            "exec": { call in lua { try exec.run(call) } },
        ]
    }

    /// Turns an argument error into a Lua error and anything else into the values returned.
    private static func lua(_ body: () throws -> [LuaValue]) -> LuaHostResult {
        do {
            return .values(try body())
        } catch let error as HostArgumentError {
            return .error(error.message)
        } catch {
            return .error("\(error)")
        }
    }
}

/// The `nil, "message"` pair a host function returns when the check itself failed.
func failure(_ message: String) -> [LuaValue] {
    [.nil, .string(message)]
}
