import Glibc
import LuaKit

/// `beacon.exec`: runs a program without a shell, in its own process group, bounded in time and
/// output, and reports its exit code and output.
struct ExecCheck: Sendable {
    var configuration: PluginAPIConfiguration

    /// `beacon.exec(argv [, opts])` → `{code=, stdout=, stderr=, ms=[, truncated=true]}` or
    /// `nil, "message"`.
    func run(_ call: LuaHostCall) throws(HostArgumentError) -> [LuaValue] {
        let spec = try ExecSpec(arguments: call.arguments)
        // Default and maximum: what the run has left; without a deadline, the configured default.
        let fallback = call.deadline == .never ? configuration.defaultExecTimeout : .infinity
        let budget = CallBudget(requested: spec.timeout, fallback: fallback, run: call.deadline)
        guard !budget.isExpired else { return failure(budget.timedOutMessage) }

        let start = LuaDeadline.now()
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(
                argv: spec.argv,
                environment: Self.environment(with: spec.environment),
                connectStdin: spec.stdin != nil
            )
        } catch {
            return failure("cannot run '\(spec.argv[0])': \(error.message)")
        }
        var pump = ProcessPump(child: child, stdin: spec.stdin ?? [], cap: configuration.maxOutputBytes)
        let finished = pump.run(until: budget.deadline)
        // Whatever it left running in its group goes with it (the leader is still unreaped, so
        // the group id is still ours).
        child.killGroup()
        let code = child.reap()
        guard finished else { return failure(budget.timedOutMessage) }

        var fields = [
            LuaField(key: "code", value: .integer(Int64(code))),
            LuaField(key: "stdout", value: .string(pump.stdout.text)),
            LuaField(key: "stderr", value: .string(pump.stderr.text)),
            LuaField(key: "ms", value: .number(millisecondsSince(start))),
        ]
        if pump.stdout.truncated || pump.stderr.truncated {
            fields.append(LuaField(key: "truncated", value: .boolean(true)))
        }
        return [.table(array: [], fields: fields)]
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
