import Glibc
import LuaKit

/// `beacon.exec`: runs a program without a shell, in its own process group, bounded in time and
/// output, and reports its exit code and output. No thread waits for it (see `ChildWatch`).
struct ExecCheck: Sendable {
    var configuration: PluginAPIConfiguration

    /// `beacon.exec(argv [, opts])` → `{code=, stdout=, stderr=, ms=[, truncated=true]}` or
    /// `nil, "message"`, answered when the program has exited and its output is read.
    func run(_ call: LuaHostCall) throws(HostArgumentError) -> LuaHostResult {
        let spec = try ExecSpec(arguments: call.arguments)
        // Default and maximum: what the run has left; without a deadline, the configured default.
        let fallback = call.deadline == .never ? configuration.defaultExecTimeout : .infinity
        let budget = CallBudget(requested: spec.timeout, fallback: fallback, run: call.deadline)
        guard !budget.isExpired else { return .values(failure(budget.timedOutMessage)) }

        let start = LuaDeadline.now()
        let child: ChildProcess
        let exitDescriptor: Int32
        do {
            child = try ChildProcess.spawn(
                argv: spec.argv,
                environment: Self.environment(with: spec.environment),
                connectStdin: spec.stdin != nil
            )
        } catch {
            return .values(failure("cannot run '\(spec.argv[0])': \(error.message)"))
        }
        do {
            exitDescriptor = try child.openExitDescriptor()
        } catch {
            // Dropping the child kills its group and reaps it.
            return .values(failure("cannot watch '\(spec.argv[0])' (pidfd_open, Linux 5.3 or later): \(error.message)"))
        }

        let pending = LuaPendingCall()
        let watch = ChildWatch(
            child: child, exitDescriptor: exitDescriptor, stdin: spec.stdin ?? [], cap: configuration.maxOutputBytes)
        watch.start(deadline: budget.dispatchDeadline) { outcome in
            switch outcome {
            case .timedOut:
                pending.succeed(failure(budget.timedOutMessage))
            case .exited(let code, let stdout, let stderr):
                var fields = [
                    LuaField(key: "code", value: .integer(Int64(code))),
                    LuaField(key: "stdout", value: stdout.value),
                    LuaField(key: "stderr", value: stderr.value),
                    LuaField(key: "ms", value: .number(millisecondsSince(start))),
                ]
                if stdout.truncated || stderr.truncated {
                    fields.append(LuaField(key: "truncated", value: .boolean(true)))
                }
                pending.succeed([.table(array: [], fields: fields)])
            }
        }
        pending.onCancel { watch.cancel() }
        return .pending(pending)
    }

    /// Our environment with `overrides` replacing or adding variables.
    private static func environment(with overrides: [(key: String, value: String)]) -> [String] {
        let replaced = Set(overrides.map(\.key))
        var result: [String] = []
        var entry: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
        while let pointer = entry, let variable = pointer.pointee {
            let text = String(cString: variable)
            let name = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            if !replaced.contains(String(name)) { result.append(text) }
            entry = pointer + 1
        }
        return result + overrides.map { "\($0.key)=\($0.value)" }
    }
}
