public import LuaKit

/// The host functions plugins use for real checks, installed under the global `beacon` table:
/// `beacon.http.get`, `beacon.http.request`, `beacon.tcp.connect`, `beacon.exec` and
/// `beacon.sleep`.
///
/// Every function checks its arguments, starts its work and returns `.pending` at once; the
/// answer comes from the work's completion (an `EventLoopFuture`, a Dispatch source, a timer),
/// so no thread waits for it. Each gives up at its own timeout or the run's deadline, whichever
/// comes first, and stops its work at once when the caller cancels. Failures of the thing being
/// checked come back as `nil, "message"`; arguments of the wrong shape raise a Lua error.
/// See docs/HOST-API.md for the Lua side.
public enum PluginAPI {
    /// The functions to pass as `LuaEnvironment.hostFunctions`, keyed by their path under `beacon`.
    ///
    /// The event loop thread and the HTTP clients are created on first use and shared by the
    /// whole process (one pair of clients per `maxConnectionsPerHost`); calling this function
    /// again is cheap.
    public static func hostFunctions(
        configuration: PluginAPIConfiguration = PluginAPIConfiguration()
    ) -> [String: LuaHostFunction] {
        let http = HTTPCheck(configuration: configuration)
        let tcp = TCPCheck(configuration: configuration)
        let exec = ExecCheck(configuration: configuration)
        return [
            "http.get": lua(http.get),
            "http.request": lua(http.request),
            "tcp.connect": lua(tcp.connect),
            "exec": lua(exec.run),
            "sleep": lua(SleepCall.sleep),
        ]
    }

    /// The host function of `body`: an argument error becomes a Lua error; anything else is the
    /// function's result.
    private static func lua(
        _ body: @escaping @Sendable (LuaHostCall) throws(HostArgumentError) -> LuaHostResult
    ) -> LuaHostFunction {
        { call in
            do throws(HostArgumentError) {
                return try body(call)
            } catch {
                return .error(error.message)
            }
        }
    }
}

/// The `nil, "message"` pair a host function returns when the check itself failed.
func failure(_ message: String) -> [LuaValue] {
    [.nil, .string(message)]
}
