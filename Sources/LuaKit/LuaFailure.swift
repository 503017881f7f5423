import CLua

/// Turns the outcome of a protected call into a `LuaError`, from the context's flags first
/// (a timeout stays a timeout even if the plugin caught and rethrew it) and the status next.
struct LuaFailure {
    /// Longest message or traceback kept, in bytes (a plugin could raise megabytes).
    static let maxMessageBytes = 4096

    let state: OpaquePointer
    let context: UnsafeMutablePointer<beacon_context>
    let limits: LuaLimits

    /// The timeout error if the deadline passed during the operation.
    func timeout(operation: String) -> LuaError? {
        guard context.pointee.timed_out != 0 else { return nil }
        let location = withUnsafeBytes(of: context.pointee.where) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let prefix = location.isEmpty ? "" : location + ": "
        return LuaError(
            kind: .timeout,
            message: "\(prefix)timed out: \(operation) did not finish before its deadline",
            traceback: traceback)
    }

    /// The error for a failed `status`, with the message on top of the stack.
    func error(status: Int32, operation: String, chunkName: String? = nil) -> LuaError {
        if let timeout = timeout(operation: operation) { return timeout }
        let message = lua_type(state, -1) == LUA_TSTRING
            ? Self.truncated(LuaStack.stringBytes(state, -1)) : "(no error message)"
        let memory = LuaError(
            kind: .memory,
            message: "out of memory: \(operation) went over the sandbox limit of \(limits.memoryBytes) bytes")
        switch status {
        case LUA_ERRMEM:
            return memory
        case LUA_ERRSYNTAX:
            if let chunkName, !message.hasPrefix(chunkName) {
                return LuaError(kind: .syntax, message: "\(chunkName): \(message)")
            }
            return LuaError(kind: .syntax, message: message)
        case LUA_ERRERR:
            if context.pointee.memory_failed != 0 { return memory }
            return LuaError(kind: .error, message: "error while handling an error: \(message)", traceback: traceback)
        case BEACON_ERRSTACK:
            return LuaError(kind: .error, message: "Lua stack exhausted")
        default:
            if context.pointee.memory_failed != 0 && message.hasSuffix("not enough memory") { return memory }
            return LuaError(kind: .error, message: message, traceback: traceback)
        }
    }

    private var traceback: String? {
        context.pointee.traceback.map { Self.truncated(UnsafeRawBufferPointer(start: $0, count: strlen($0))) }
    }

    /// `bytes` as text, cut at `maxMessageBytes` with a note of the full size.
    static func truncated(_ bytes: UnsafeRawBufferPointer) -> String {
        guard bytes.count > maxMessageBytes else { return String(decoding: bytes, as: UTF8.self) }
        let kept = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<maxMessageBytes]), as: UTF8.self)
        return kept + "… (truncated; \(bytes.count) bytes in all)"
    }
}
