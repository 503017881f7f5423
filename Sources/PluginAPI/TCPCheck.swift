import LuaKit
import NIOCore
import NIOPosix
import Synchronization

/// `beacon.tcp.connect`: opens a TCP connection (name resolution included), then closes it.
struct TCPCheck: Sendable {
    static let function = "beacon.tcp.connect"

    var configuration: PluginAPIConfiguration

    /// `beacon.tcp.connect(host, port [, timeout])` → `true, ms` or `nil, "message"`, answered when
    /// NIO's connect completes or fails (its connect timeout is the call's budget).
    func connect(_ call: LuaHostCall) throws(HostArgumentError) -> LuaHostResult {
        guard let host = call.arguments.argument(0).stringValue, !host.isEmpty else {
            throw HostArgumentError(Self.function, "host must be a non-empty string")
        }
        guard let port = call.arguments.argument(1).integerValue, (1...65535).contains(port) else {
            throw HostArgumentError(Self.function, "port must be an integer from 1 to 65535")
        }
        let requested = try CallBudget.timeoutArgument(call.arguments.argument(2), function: Self.function)
        let budget = CallBudget(requested: requested, fallback: configuration.defaultTCPTimeout, run: call.deadline)
        guard !budget.isExpired else { return .values(failure(budget.timedOutMessage)) }

        let pending = LuaPendingCall()
        // Every socket of the attempt (one per address tried), so that a cancel closes them at once.
        let attempts = Mutex<[any Channel]>([])
        let start = LuaDeadline.now()
        let connecting = ClientBootstrap(group: NetworkRuntime.group)
            .connectTimeout(.nanoseconds(budget.remainingNanoseconds))
            .channelInitializer { channel in
                attempts.withLock { $0.append(channel) }
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            .connect(host: host, port: Int(port))
        connecting.whenComplete { result in
            switch result {
            case .success(let channel):
                let ms = millisecondsSince(start)
                channel.close(promise: nil)
                pending.succeed([.boolean(true), .number(ms)])
            case .failure(let error):
                pending.succeed(failure(NetworkFailure.message(for: error, host: host, port: Int(port), budget: budget)))
            }
        }
        pending.onCancel {
            for channel in attempts.withLock({ $0 }) { channel.close(promise: nil) }
            connecting.whenSuccess { $0.close(promise: nil) }
        }
        return .pending(pending)
    }
}
