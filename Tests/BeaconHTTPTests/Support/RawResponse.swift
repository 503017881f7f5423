/// An HTTP/1.1 response as read off the socket: status, headers, and the body de-chunked strictly.
struct RawResponse {
    let status: Int
    let headers: [(name: String, value: String)]
    /// Body bytes (de-chunked when chunked).
    let body: [UInt8]
    /// The body's chunks, each as sent.
    let chunks: [[UInt8]]
    /// A chunked body ended with its last chunk (`0\r\n\r\n`).
    let ended: Bool
    /// The bytes after the head were not valid chunked framing.
    let malformed: Bool

    init?(_ bytes: [UInt8]) {
        guard let headEnd = Self.find([13, 10, 13, 10], in: bytes, from: 0) else { return nil }
        let headText = String(decoding: bytes[0..<headEnd], as: UTF8.self)
        var lines = headText.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        guard !lines.isEmpty else { return nil }
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        self.status = status
        self.headers = lines.compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingSpaces())
        }
        let rest = Array(bytes[(headEnd + 4)...])
        if self.headers.contains(where: { $0.name.lowercased() == "transfer-encoding" && $0.value == "chunked" }) {
            (self.body, self.chunks, self.ended, self.malformed) = Self.dechunk(rest)
        } else {
            (self.body, self.chunks, self.ended, self.malformed) = (rest, [], false, false)
        }
    }

    func header(_ name: String) -> String? {
        self.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    func headerValues(_ name: String) -> [String] {
        self.headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    var bodyText: String { String(decoding: self.body, as: UTF8.self) }

    /// Complete SSE messages in the body.
    var events: [SSEMessage] { SSEParser.parse(self.body) }

    private static func dechunk(_ bytes: [UInt8]) -> ([UInt8], [[UInt8]], Bool, Bool) {
        var body: [UInt8] = []
        var chunks: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            guard let lineEnd = find([13, 10], in: bytes, from: index) else { break }
            guard let size = Int(String(decoding: bytes[index..<lineEnd], as: UTF8.self), radix: 16) else {
                return (body, chunks, false, true)
            }
            let start = lineEnd + 2
            if size == 0 {
                let complete = bytes.count >= start + 2
                let valid = !complete || (bytes[start] == 13 && bytes[start + 1] == 10)
                return (body, chunks, complete && valid, !valid || bytes.count > start + 2)
            }
            guard bytes.count >= start + size + 2 else { break }
            guard bytes[start + size] == 13, bytes[start + size + 1] == 10 else { return (body, chunks, false, true) }
            chunks.append(Array(bytes[start..<(start + size)]))
            body += bytes[start..<(start + size)]
            index = start + size + 2
        }
        return (body, chunks, false, false)
    }

    static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= needle.count, start <= bytes.count - needle.count else { return nil }
        var index = start
        while index <= bytes.count - needle.count {
            if bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}

extension String {
    func trimmingSpaces() -> String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
