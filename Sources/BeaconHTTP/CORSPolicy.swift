import NIOHTTP1

/// Which origins may read responses (`--cors-origin`).
struct CORSPolicy {
    private let anyOrigin: Bool
    private let origins: Set<String>

    init(origins: [String]) {
        self.anyOrigin = origins.contains("*")
        self.origins = Set(origins)
    }

    var isEnabled: Bool { self.anyOrigin || !self.origins.isEmpty }

    /// Adds the CORS headers for a request from `origin` (the `Origin` header, if any).
    /// Returns whether the origin is allowed.
    @discardableResult
    func apply(origin: String?, to headers: inout HTTPHeaders) -> Bool {
        if self.anyOrigin {
            headers.add(name: "Access-Control-Allow-Origin", value: "*")
        } else if !self.origins.isEmpty {
            headers.add(name: "Vary", value: "Origin")
            guard let origin, self.origins.contains(origin) else { return false }
            headers.add(name: "Access-Control-Allow-Origin", value: origin)
        } else {
            return false
        }
        headers.add(name: "Access-Control-Expose-Headers", value: "Beacon-Resume")
        return true
    }

    /// Adds the answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`).
    func applyPreflight(origin: String?, to headers: inout HTTPHeaders) {
        guard self.apply(origin: origin, to: &headers) else { return }
        headers.add(name: "Access-Control-Allow-Methods", value: "GET, HEAD, OPTIONS")
        headers.add(name: "Access-Control-Allow-Headers", value: "Last-Event-ID, Cache-Control")
        headers.add(name: "Access-Control-Max-Age", value: "600")
    }
}
