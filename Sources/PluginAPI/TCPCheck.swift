import LuaKit
import NIOCore
import NIOPosix

/// `beacon.tcp.connect`: opens a TCP connection (name resolution included), then closes it.
struct TCPCheck: Sendable {
    static let function = "beacon.tcp.connect"

    var configuration: PluginAPIConfiguration

    /// `beacon.tcp.connect(host, port [, timeout])` → `true, ms` or `nil, "message"`.
    func connect(_ call: LuaHostCall) throws(HostArgumentError) -> [LuaValue] {
        guard let host = call.arguments.argument(0).stringValue, !host.isEmpty else {
            throw HostArgumentError(Self.function, "host must be a non-empty string")
        }
        guard let port = call.arguments.argument(1).integerValue, (1...65535).contains(port) else {
            throw HostArgumentError(Self.function, "port must be an integer from 1 to 65535")
        }
        let requested = try CallBudget.timeoutArgument(call.arguments.argument(2), function: Self.function)
        let budget = CallBudget(requested: requested, fallback: configuration.defaultTCPTimeout, run: call.deadline)
        guard !budget.isExpired else { return failure(budget.timedOutMessage) }

        let start = LuaDeadline.now()
        let connecting = ClientBootstrap(group: NetworkRuntime.shared.group)
            .connectTimeout(.nanoseconds(budget.remainingNanoseconds))
            .connect(host: host, port: Int(port))
        switch FutureWait.result(of: connecting, before: budget.deadline) {
        case .success(let channel):
            let ms = millisecondsSince(start)
            channel.close(promise: nil)
            return [.boolean(true), .number(ms)]
        case .failure(let error):
            return failure(NetworkFailure.message(for: error, host: host, port: Int(port), budget: budget))
        case nil:
            // NIO's own connect timeout ends the attempt; close the channel if it wins the race.
            connecting.whenSuccess { $0.close(promise: nil) }
            return failure(budget.timedOutMessage)
        }
    }
}
