/// Why a value could not be encoded, and where in it (collected while unwinding, so the happy
/// path pays nothing for paths).
struct JSONEncodeFailure: Error {
    enum Step {
        case key(String)
        case index(Int)
    }

    var reason: String
    /// Innermost step first.
    var steps: [Step] = []
    /// The failure concerns the whole value (its size), so no path is shown.
    var isWhole = false

    init(_ reason: String) {
        self.reason = reason
    }

    static func tooLarge(atLeast size: Int, limit: Int) -> JSONEncodeFailure {
        var failure = JSONEncodeFailure("is at least \(size) bytes; the limit is \(limit)")
        failure.isWhole = true
        return failure
    }

    /// The same failure, one level further out.
    func within(_ step: Step) -> JSONEncodeFailure {
        guard !isWhole else { return self }
        var copy = self
        copy.steps.append(step)
        return copy
    }

    /// The message with the path spelled from `root`, e.g. `result.checks[2]: cannot …`.
    func message(root: String) -> String {
        if isWhole { return "\(root) \(reason)" }
        var path = root
        for step in steps.reversed() {
            switch step {
            case .index(let index):
                path += "[\(index)]"
            case .key(let key) where Self.isIdentifier(key):
                path += "." + key
            case .key(let key):
                path += "[\(String(reflecting: key))]"
            }
        }
        return "\(path): \(reason)"
    }

    private static func isIdentifier(_ key: String) -> Bool {
        guard let first = key.utf8.first, !(0x30...0x39).contains(first) else { return false }
        return key.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte)
                || (0x61...0x7A).contains(byte) || byte == 0x5F
        }
    }
}
