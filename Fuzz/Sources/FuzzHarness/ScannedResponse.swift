/// One HTTP response as it left the connection, read strictly from the bytes.
struct ScannedResponse {
    /// `HTTP/1.1` or `HTTP/1.0`.
    var version: String
    var status: Int
    var headers: [(name: String, value: String)]
    /// The body, de-chunked; nil when the response had none on the wire (HEAD, 204).
    var body: [UInt8]?
    /// The body had not ended when the output did: a stream still open (chunked without its
    /// last chunk, or delimited by the connection's close).
    var isOpen: Bool

    /// Every value of header `name` (case-insensitive), in order.
    func values(_ name: String) -> [String] {
        let lowered = name.lowercased()
        return self.headers.filter { $0.name.lowercased() == lowered }.map(\.value)
    }

    /// The first value of header `name`.
    func header(_ name: String) -> String? {
        self.values(name).first
    }

    /// `Connection: close`.
    var closes: Bool {
        self.values("connection").contains { $0.lowercased() == "close" }
    }

    var isEventStream: Bool {
        self.header("content-type")?.hasPrefix("text/event-stream") ?? false
    }
}
