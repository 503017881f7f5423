/// What `beacon.status(level [, summary])` set during a run: part of the run's outcome.
public struct StatusReport: Sendable, Equatable {
    /// The longest summary kept, in characters; a longer one is cut to this length, its last
    /// character then `…`.
    public static let maxSummaryCharacters = 200

    public var level: StatusLevel
    /// A short text for people ("93% used"), at most ``maxSummaryCharacters``.
    public var summary: String?

    /// Creates a report; `summary` is cut to ``maxSummaryCharacters``.
    public init(level: StatusLevel, summary: String? = nil) {
        self.level = level
        self.summary = summary.map(Self.shortened)
    }

    /// `text` itself, or its first 199 characters and `…` when it is longer than 200.
    static func shortened(_ text: String) -> String {
        guard text.count > maxSummaryCharacters else { return text }
        return String(text.prefix(maxSummaryCharacters - 1)) + "…"
    }
}
