import CLua

/// The Swift object behind a state's C callbacks: host functions, `beacon.json`, logging.
/// C holds it unretained in the context; the owning `LuaSandbox` keeps it alive.
final class LuaBridge {
    /// Built-in functions answered in Swift; host functions follow them.
    enum Builtin: Int32, CaseIterable {
        case jsonEncode, jsonDecode, readFile, wait, status

        var path: String {
            switch self {
            case .jsonEncode: "json.encode"
            case .jsonDecode: "json.decode"
            case .readFile: "read_file"
            case .wait: "wait"
            case .status: "status"
            }
        }
    }

    let environment: LuaEnvironment
    let limits: LuaLimits
    /// Deadline of the operation in progress, handed to host functions.
    var deadline = LuaDeadline.never
    /// The run in progress, if the operation is one; its threads may wait without blocking.
    var run: LuaRun?
    /// `beacon.<path>` → callback id; a host function may replace a built-in of the same path.
    let functionIDs: [String: Int32]
    private let hostNames: [String]
    private let hostFunctions: [LuaHostFunction]
    let context: UnsafeMutablePointer<beacon_context>

    init(environment: LuaEnvironment, limits: LuaLimits, context: UnsafeMutablePointer<beacon_context>) {
        self.environment = environment
        self.limits = limits
        self.context = context
        let hosts = environment.hostFunctions.sorted { $0.key < $1.key }
        hostNames = hosts.map(\.key)
        hostFunctions = hosts.map(\.value)
        var ids: [String: Int32] = [:]
        for builtin in Builtin.allCases { ids[builtin.path] = builtin.rawValue }
        let first = Int32(Builtin.allCases.count)
        for (offset, name) in hostNames.enumerated() { ids[name] = first + Int32(offset) }
        functionIDs = ids
    }

    /// Installs the C callbacks into the context.
    func attach() {
        context.pointee.swift = Unmanaged.passUnretained(self).toOpaque()
        context.pointee.call = { swift, state, id, flags in
            guard let swift, let state else { return Int32(BEACON_CALL_ERROR) }
            return Unmanaged<LuaBridge>.fromOpaque(swift).takeUnretainedValue().call(state, id: id, flags: flags)
        }
        context.pointee.spawn = { swift, thread, reference in
            guard let swift, let thread else { return 0 }
            return Unmanaged<LuaBridge>.fromOpaque(swift).takeUnretainedValue().spawned(thread, reference: reference)
        }
        context.pointee.log = { swift, level, message, length in
            guard let swift else { return }
            let text = message.map {
                String(decoding: UnsafeRawBufferPointer(start: $0, count: length), as: UTF8.self)
            } ?? ""
            let bridge = Unmanaged<LuaBridge>.fromOpaque(swift).takeUnretainedValue()
            bridge.environment.log(LuaBridge.logLevel(level), text)
        }
    }

    private static func logLevel(_ level: Int32) -> LuaLogLevel {
        switch level {
        case 0: .debug
        case 1: .info
        case 2: .warning
        default: .error
        }
    }

    /// Answers host function `id`, called from the C trampoline with the arguments on `state`
    /// (and again, with `BEACON_FLAG_RESUMED`, once a thread that waited is resumed).
    private func call(_ state: OpaquePointer, id: Int32, flags: Int32) -> Int32 {
        let canYield = flags & Int32(BEACON_FLAG_CAN_YIELD) != 0
        if let builtin = Builtin(rawValue: id) {
            switch builtin {
            case .jsonEncode: return jsonEncode(state)
            case .jsonDecode: return jsonDecode(state)
            case .readFile: return readFile(state)
            case .wait: return wait(state, canYield: canYield)
            case .status: return status(state)
            }
        }
        let index = Int(id) - Builtin.allCases.count
        guard hostFunctions.indices.contains(index) else { return raise("unknown host function") }
        let name = "beacon." + hostNames[index]
        if flags & Int32(BEACON_FLAG_RESUMED) != 0 {
            guard let thread = run?.current, let pending = thread.waitingOn, let answer = pending.currentAnswer else {
                return raise("\(name): resumed without an answer (a bug in Beacon's Lua bridge)")
            }
            thread.waitingOn = nil
            return deliver(answer, name: name)
        }
        var arguments: [LuaValue] = []
        let count = lua_gettop(state)
        if count > 0 {
            var reader = LuaStackReader(state: state)
            for slot in 1...count {
                do {
                    arguments.append(try reader.read(at: slot))
                } catch {
                    return raise("\(name): argument \(slot): \(error.reason)")
                }
            }
        }
        var result = hostFunctions[index](LuaHostCall(deadline: deadline, arguments: arguments))
        if case .pending(let pending) = result {
            if canYield, let run, let thread = run.current {
                thread.waitingOn = pending
                pending.whenAnswered(run.wake)
                return Int32(BEACON_CALL_YIELD)
            }
            // Lua cannot yield here (a sort comparison, a finalizer, a script's top level): wait.
            result = pending.wait(until: deadline) ?? .error("\(name): no answer before the deadline")
        }
        return deliver(result, name: name)
    }

    /// Hands a host function's answer to C; past the run's deadline, raises the run's timeout.
    private func deliver(_ result: LuaHostResult, name: String) -> Int32 {
        if deadline != .never, LuaDeadline.now() >= deadline {
            // The run's time is up while the host call waited: this is the run's timeout, not an
            // error the plugin may handle. The flag makes the hook raise again if it is caught.
            context.pointee.timed_out = 1
            return raise("\(name): the check's deadline passed during the call")
        }
        switch result {
        case .values(let values):
            guard let tape = LuaTapeWriter.tape(values) else {
                return raise("\(name) returned values nested too deeply")
            }
            return answer(tape)
        case .error(let message):
            return raise(message)
        case .pending:
            return raise("\(name): no answer")
        }
    }

    /// A thread made by `beacon.spawn`: joins the run in progress, or is refused.
    private func spawned(_ thread: OpaquePointer, reference: Int32) -> Int64 {
        guard let run else {
            _ = raise("beacon.spawn is only available while check_status() runs (not at the script's top level)")
            return 0
        }
        return run.adopt(thread, reference: reference)
    }

    /// Hands `tape` to C as the values to return.
    func answer(_ tape: [UInt8]) -> Int32 {
        let stored = tape.withUnsafeBytes { beacon_tape_set(context, $0.baseAddress, $0.count) }
        guard stored != 0 else { return raise("out of memory") }
        return Int32(BEACON_CALL_VALUES)
    }

    /// Hands `message` to C as the error to raise, after the caller's `chunk:line: `.
    func raise(_ message: String) -> Int32 {
        var message = message
        _ = message.withUTF8 { beacon_tape_set(context, $0.baseAddress, $0.count) }
        return Int32(BEACON_CALL_ERROR)
    }

    /// Hands `message` to C as the error to raise as it is (it names its place already).
    func raiseAsIs(_ message: String) -> Int32 {
        var message = message
        _ = message.withUTF8 { beacon_tape_set(context, $0.baseAddress, $0.count) }
        return Int32(BEACON_CALL_RAISE)
    }
}
