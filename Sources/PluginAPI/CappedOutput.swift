import LuaKit

/// Bytes read from one of a child's outputs, up to a cap; the rest is read and dropped so the
/// child never blocks on a full pipe.
struct CappedOutput {
    /// The bytes kept.
    private(set) var bytes: [UInt8] = []
    /// True when more was written than kept.
    private(set) var truncated = false
    let cap: Int

    init(cap: Int) {
        self.cap = max(0, cap)
    }

    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        let room = cap - bytes.count
        if chunk.count > room {
            truncated = true
            bytes.append(contentsOf: chunk.prefix(max(0, room)))
        } else {
            bytes.append(contentsOf: chunk)
        }
    }

    /// The bytes as a Lua string, unchanged (`.bytes` when they are not UTF-8).
    var value: LuaValue { .luaString(bytes) }
}
