/// Splits a connection's output into responses, checking the framing of each: status line,
/// header syntax, exactly one way of delimiting the body, and bodies as long as they say.
///
/// The scanner does not know which requests were `HEAD`: a response with a length but followed
/// at once by another response (or by the end of the output) is taken to have had no body.
struct ResponseScanner {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    static func responses(in output: [UInt8]) throws(FuzzViolation) -> [ScannedResponse] {
        var scanner = ResponseScanner(output)
        var responses: [ScannedResponse] = []
        while scanner.index < scanner.bytes.count {
            responses.append(try scanner.next(number: responses.count + 1))
        }
        return responses
    }

    private mutating func next(number: Int) throws(FuzzViolation) -> ScannedResponse {
        let label = "response \(number)"
        guard let statusLine = self.line() else {
            throw FuzzViolation("\(label): output ends inside a status line: \(Self.show(self.bytes[self.index...]))")
        }
        guard let (version, status) = Self.parseStatusLine(statusLine) else {
            throw FuzzViolation("\(label): not an HTTP/1.x status line: \(Self.show(statusLine[...]))")
        }
        var headers: [(name: String, value: String)] = []
        while true {
            guard let line = self.line() else { throw FuzzViolation("\(label): output ends inside the headers") }
            if line.isEmpty { break }
            guard let header = Self.parseHeader(line) else {
                throw FuzzViolation("\(label): malformed header line: \(Self.show(line[...]))")
            }
            headers.append(header)
        }
        var response = ScannedResponse(version: version, status: status, headers: headers, body: nil, isOpen: false)
        try self.readBody(&response, label)
        return response
    }

    private mutating func readBody(_ response: inout ScannedResponse, _ label: String) throws(FuzzViolation) {
        let lengths = response.values("content-length")
        let codings = response.values("transfer-encoding")
        if !lengths.isEmpty && !codings.isEmpty {
            throw FuzzViolation("\(label): both Content-Length and Transfer-Encoding")
        }
        if lengths.count > 1 { throw FuzzViolation("\(label): \(lengths.count) Content-Length headers") }
        if response.status == 204 || response.status == 304 || response.status < 200 {
            if let length = lengths.first, length != "0" {
                throw FuzzViolation("\(label): status \(response.status) with Content-Length \(length)")
            }
            return
        }
        let rest = self.bytes[self.index...]
        let nextIsResponse = rest.starts(with: Array("HTTP/".utf8))
        if let length = lengths.first {
            guard let count = Int(length), count >= 0, String(count) == length else {
                throw FuzzViolation("\(label): bad Content-Length \(length)")
            }
            if rest.isEmpty || nextIsResponse { return } // HEAD
            guard rest.count >= count else {
                throw FuzzViolation("\(label): body has \(rest.count) of its \(count) bytes")
            }
            response.body = Array(rest.prefix(count))
            self.index += count
        } else if !codings.isEmpty {
            guard codings == ["chunked"] else { throw FuzzViolation("\(label): Transfer-Encoding \(codings)") }
            if nextIsResponse { return } // HEAD
            try self.readChunks(&response, label)
        } else {
            // Delimited by the connection's close: only where the response says so.
            guard response.closes else {
                throw FuzzViolation("\(label): no Content-Length, no chunks and no Connection: close")
            }
            response.body = Array(rest)
            response.isOpen = true
            self.index = self.bytes.count
        }
    }

    private mutating func readChunks(_ response: inout ScannedResponse, _ label: String) throws(FuzzViolation) {
        var body: [UInt8] = []
        while true {
            guard self.index < self.bytes.count else {
                response.isOpen = true
                break
            }
            guard let sizeLine = self.line() else { throw FuzzViolation("\(label): output ends inside a chunk size") }
            guard !sizeLine.isEmpty, sizeLine.count <= 16, let size = Int(String(decoding: sizeLine, as: UTF8.self), radix: 16),
                sizeLine.allSatisfy({ Self.isHexDigit($0) })
            else {
                throw FuzzViolation("\(label): bad chunk size line \(Self.show(sizeLine[...]))")
            }
            if size == 0 {
                guard let trailer = self.line(), trailer.isEmpty else {
                    throw FuzzViolation("\(label): last chunk not followed by an empty line")
                }
                break
            }
            guard self.bytes.count - self.index >= size + 2 else {
                throw FuzzViolation("\(label): output ends inside a chunk of \(size) bytes")
            }
            body += self.bytes[self.index..<(self.index + size)]
            self.index += size
            guard self.bytes[self.index] == 0x0D, self.bytes[self.index + 1] == 0x0A else {
                throw FuzzViolation("\(label): chunk of \(size) bytes not followed by CRLF")
            }
            self.index += 2
        }
        response.body = body
    }

    /// The bytes up to the next CRLF (which is consumed), or nil when there is none.
    private mutating func line() -> [UInt8]? {
        var end = self.index
        while end + 1 < self.bytes.count {
            if self.bytes[end] == 0x0D && self.bytes[end + 1] == 0x0A {
                let line = Array(self.bytes[self.index..<end])
                self.index = end + 2
                return line
            }
            end += 1
        }
        return nil
    }

    /// `HTTP/1.1 200 OK`: version 1.0 or 1.1, three digits, a reason of visible characters.
    private static func parseStatusLine(_ line: [UInt8]) -> (String, Int)? {
        guard line.count >= 12 else { return nil }
        let version = String(decoding: line[0..<8], as: UTF8.self)
        guard version == "HTTP/1.1" || version == "HTTP/1.0", line[8] == 0x20 else { return nil }
        let digits = line[9..<12]
        guard digits.allSatisfy({ (0x30...0x39).contains($0) }), (0x31...0x35).contains(line[9]) else { return nil }
        guard line.count == 12 || line[12] == 0x20 else { return nil }
        guard line.dropFirst(12).allSatisfy({ $0 == 0x20 || $0 == 0x09 || (0x21...0x7E).contains($0) }) else { return nil }
        guard let status = Int(String(decoding: digits, as: UTF8.self)) else { return nil }
        return (version, status)
    }

    /// `Name: value`: a token name, a value without control characters.
    private static func parseHeader(_ line: [UInt8]) -> (name: String, value: String)? {
        guard let colon = line.firstIndex(of: 0x3A), colon > 0 else { return nil }
        let name = line[..<colon]
        guard name.allSatisfy(isTokenCharacter) else { return nil }
        let value = line[(colon + 1)...]
        guard value.allSatisfy({ $0 == 0x09 || $0 >= 0x20 && $0 != 0x7F }) else { return nil }
        let text = String(decoding: value, as: UTF8.self).trimmingCharacters(in: " \t")
        return (String(decoding: name, as: UTF8.self), text)
    }

    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        default: return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }

    /// A short, printable rendering of some output bytes, for messages.
    static func show(_ bytes: ArraySlice<UInt8>) -> String {
        String(reflecting: String(decoding: bytes.prefix(120), as: UTF8.self))
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
