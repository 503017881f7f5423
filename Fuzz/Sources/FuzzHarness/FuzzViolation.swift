/// A broken invariant: what a fuzz target reports as a crash and a regression test as a failure.
public struct FuzzViolation: Error, CustomStringConvertible, Sendable {
    /// What went wrong, with enough context to start debugging from the input alone.
    public var message: String

    /// Creates a violation.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { self.message }
}
