import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One server-sent event as a conforming client sees it.
struct SSEEvent: Equatable, CustomStringConvertible {
    var id: String?
    var event: String
    var data: String
    var description: String { "id=\(id ?? "-") event=\(event) data=\(data)" }

    /// `data` parsed as a JSON object.
    var object: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any]
    }
}

/// A blocking HTTP/1.1 client on a real loopback socket, enough to read responses and
/// chunked SSE streams byte for byte.
final class TestConnection {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var closedByPeer = false

    init(port: Int, host: String = "127.0.0.1") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw TestFailure("connect to 127.0.0.1:\(port) failed: errno \(errno)")
        }
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestFailure("send failed: errno \(errno)") }
            sent += n
        }
    }

    /// Sends a GET with extra header lines.
    func get(_ path: String, headers: [String] = [], method: String = "GET") throws {
        let extra = headers.map { $0 + "\r\n" }.joined()
        try send("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(extra)\r\n")
    }

    /// Reads more bytes, waiting at most until `deadline`. False on timeout or EOF.
    private func fill(until deadline: Date) -> Bool {
        let remaining = deadline.timeIntervalSinceNow
        guard remaining > 0, !closedByPeer else { return false }
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(remaining * 1000) + 1) > 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &chunk, chunk.count, 0)
        if n <= 0 {
            closedByPeer = true
            return false
        }
        buffer += chunk[0..<n]
        return true
    }

    private func readLine(until deadline: Date) -> String? {
        while true {
            if let index = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<index])
                buffer.removeFirst(index + 1)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            if !fill(until: deadline) { return nil }
        }
    }

    private func readBytes(_ count: Int, until deadline: Date) -> [UInt8]? {
        while buffer.count < count {
            if !fill(until: deadline) { return nil }
        }
        defer { buffer.removeFirst(count) }
        return Array(buffer[..<count])
    }

    /// Reads the status line and headers.
    func readHead(seconds: Double = 10) throws -> (status: Int, headers: [String: String]) {
        let deadline = Date().addingTimeInterval(seconds)
        guard let statusLine = readLine(until: deadline) else { throw TestFailure("no response") }
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw TestFailure("bad status line \(statusLine)") }
        var headers: [String: String] = [:]
        while let line = readLine(until: deadline), !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        isChunked = headers["transfer-encoding"]?.lowercased().contains("chunked") ?? false
        contentLength = headers["content-length"].flatMap { Int($0) }
        return (status, headers)
    }

    private var isChunked = false
    private var contentLength: Int?
    private var body: [UInt8] = []
    private var bodyEnded = false

    /// Reads more of the body (de-chunked). False when nothing more arrived before the deadline or the body ended.
    private func readBody(until deadline: Date) -> Bool {
        guard !bodyEnded else { return false }
        if isChunked {
            guard let sizeLine = readLine(until: deadline),
                  let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else { return false }
            if size == 0 {
                _ = readLine(until: deadline)
                bodyEnded = true
                return false
            }
            guard let bytes = readBytes(size, until: deadline), readLine(until: deadline) != nil else { return false }
            body += bytes
            return true
        }
        if let length = contentLength {
            guard let bytes = readBytes(length, until: deadline) else { return false }
            body += bytes
            bodyEnded = true
            return true
        }
        if !buffer.isEmpty {
            body += buffer
            buffer.removeAll()
            return true
        }
        if fill(until: deadline) { return readBody(until: deadline) }
        bodyEnded = closedByPeer
        return false
    }

    /// Reads a whole non-streaming body.
    func readFullBody(seconds: Double = 10) -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while readBody(until: deadline) {}
        defer { body.removeAll() }
        return String(decoding: body, as: UTF8.self)
    }

    /// True once the response body has ended (final chunk or EOF).
    var streamEnded: Bool { bodyEnded }

    // MARK: - Server-sent events

    private var pendingEvent = SSEEvent(id: nil, event: "message", data: "")
    private var pendingData: [String] = []
    private(set) var lastEventId: String?
    private(set) var retry: Int?
    private(set) var comments: [String] = []

    /// The next event, parsed as the WHATWG HTML spec says; nil on timeout or end of stream.
    func nextEvent(seconds: Double = 10) -> SSEEvent? {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            while let newline = body.firstIndex(where: { $0 == 10 || $0 == 13 }) {
                let line = String(decoding: body[..<newline], as: UTF8.self)
                var consumed = newline + 1
                if body[newline] == 13 {
                    // A CR at the very end may be the first half of CRLF still in flight.
                    if consumed == body.count, !bodyEnded { break }
                    if consumed < body.count, body[consumed] == 10 { consumed += 1 }
                }
                body.removeFirst(consumed)
                if let event = dispatch(line) { return event }
            }
            if !readBody(until: deadline) { return nil }
        }
    }

    private func dispatch(_ line: String) -> SSEEvent? {
        if line.isEmpty {
            defer {
                pendingEvent = SSEEvent(id: nil, event: "message", data: "")
                pendingData = []
            }
            guard !pendingData.isEmpty else { return nil }
            var event = pendingEvent
            event.data = pendingData.joined(separator: "\n")
            event.id = lastEventId
            return event
        }
        if line.hasPrefix(":") {
            comments.append(String(line.dropFirst()))
            return nil
        }
        var field = line
        var value = ""
        if let colon = line.firstIndex(of: ":") {
            field = String(line[..<colon])
            value = String(line[line.index(after: colon)...])
            if value.hasPrefix(" ") { value.removeFirst() }
        }
        switch field {
        case "event": pendingEvent.event = value
        case "data": pendingData.append(value)
        case "id": if !value.contains("\0") { lastEventId = value }
        case "retry": if let ms = Int(value) { retry = ms }
        default: break
        }
        return nil
    }

    /// Reads events until one satisfies `match`.
    func nextEvent(seconds: Double = 10, where match: (SSEEvent) -> Bool) -> SSEEvent? {
        let deadline = Date().addingTimeInterval(seconds)
        while deadline.timeIntervalSinceNow > 0 {
            guard let event = nextEvent(seconds: deadline.timeIntervalSinceNow) else { return nil }
            if match(event) { return event }
        }
        return nil
    }
}

/// GET `path` and return status, headers and body.
func httpGet(port: Int, _ path: String, headers: [String] = [], method: String = "GET") throws
    -> (status: Int, headers: [String: String], body: String) {
    let connection = try TestConnection(port: port)
    try connection.get(path, headers: headers + ["Connection: close"], method: method)
    let head = try connection.readHead()
    let body = method == "HEAD" ? "" : connection.readFullBody()
    return (head.status, head.headers, body)
}
