/// The decoded `name=value` pairs of a query string, in order.
struct RequestQuery {
    private(set) var items: [(name: String, value: String)] = []

    init(_ query: Substring) {
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let halves = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            // A component that does not decode becomes a value no plugin can have.
            let name = PercentDecoding.decode(halves[0], plusIsSpace: true) ?? ""
            let value = halves.count > 1 ? (PercentDecoding.decode(halves[1], plusIsSpace: true) ?? "\u{FFFD}") : ""
            self.items.append((name, value))
        }
    }

    func values(for name: String) -> [String] {
        self.items.filter { $0.name == name }.map(\.value)
    }

    func first(_ name: String) -> String? {
        self.items.first { $0.name == name }?.value
    }
}
