/// Resource limits of one sandbox.
public struct LuaLimits: Sendable {
    /// Hard cap of this state's allocator in bytes (0 = unlimited).
    public var memoryBytes: Int
    /// Cap on the encoded JSON of a result, in bytes.
    public var maxResultBytes: Int

    /// Creates limits (64 MiB of memory, 64 KiB of result by default).
    public init(memoryBytes: Int = 64 << 20, maxResultBytes: Int = 64 << 10) {
        self.memoryBytes = memoryBytes
        self.maxResultBytes = maxResultBytes
    }
}
