/// Resource limits of one sandbox.
public struct LuaLimits: Sendable {
    /// Hard cap of this state's allocator in bytes (0 = unlimited).
    public var memoryBytes: Int
    /// Cap on the encoded JSON of a result, in bytes.
    public var maxResultBytes: Int
    /// A run that computes this long (seconds) without waiting gives its thread back for others
    /// and goes on when next stepped (see ``LuaRun/Step/sliceEnded``); 0 never.
    public var timeSlice: Double

    /// Creates limits (64 MiB of memory, 64 KiB of result, 10 ms slices by default).
    public init(memoryBytes: Int = 64 << 20, maxResultBytes: Int = 64 << 10, timeSlice: Double = 0.01) {
        self.memoryBytes = memoryBytes
        self.maxResultBytes = maxResultBytes
        self.timeSlice = timeSlice
    }
}
