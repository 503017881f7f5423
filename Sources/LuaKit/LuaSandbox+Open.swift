import CLua

extension LuaSandbox {
    /// Opens the libraries and runs the prelude with the configuration; nil on success.
    static func open(
        _ state: OpaquePointer, context: UnsafeMutablePointer<beacon_context>, bridge: LuaBridge, limits: LuaLimits
    ) -> LuaError? {
        let functions = bridge.functionIDs.map { LuaField(key: $0.key, value: .integer(Int64($0.value))) }
        var fields = [LuaField(key: "functions", value: .table(array: [], fields: functions))]
        if let directory = bridge.environment.libraryDirectory {
            var trimmed = Substring(directory)
            while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
            let name = trimmed.split(separator: "/").last.map(String.init) ?? "lib"
            fields.append(LuaField(key: "libdir", value: .string(String(trimmed))))
            fields.append(LuaField(key: "libname", value: .string(name)))
        }
        guard let config = LuaTapeWriter.tape([.table(array: [], fields: fields)]),
            config.withUnsafeBytes({ beacon_tape_set(context, $0.baseAddress, $0.count) }) != 0
        else {
            return LuaError(kind: .memory, message: "cannot allocate the sandbox configuration")
        }
        beacon_begin(state, LuaDeadline.after(seconds: 10).nanoseconds)
        defer {
            lua_settop(state, 0)
            beacon_begin(state, LuaDeadline.never.nanoseconds)
        }
        var prelude = LuaPrelude.source
        let status = prelude.withUTF8 { text in
            text.withMemoryRebound(to: CChar.self) { beacon_open(state, $0.baseAddress, $0.count) }
        }
        guard status == LUA_OK else {
            return LuaFailure(state: state, context: context, limits: limits)
                .error(status: status, operation: "setting up the sandbox")
        }
        return nil
    }
}
