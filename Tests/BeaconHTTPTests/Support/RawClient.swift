#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct ClientError: Error, CustomStringConvertible {
    let description: String
}

/// A plain POSIX TCP client for loopback tests: what goes over the wire is exactly what we send,
/// and what we read is exactly what the server wrote. Every wait is bounded.
final class RawClient {
    private let fd: Int32
    private var isClosed = false
    private(set) var received: [UInt8] = []
    private(set) var sawEOF = false

    /// - Parameter receiveBuffer: a small `SO_RCVBUF` (set before connecting) for stalled-client tests.
    init(port: Int, receiveBuffer: Int32? = nil) throws {
        #if canImport(Glibc)
        self.fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        self.fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard self.fd >= 0 else { throw ClientError(description: "socket() failed") }
        if var size = receiveBuffer {
            _ = setsockopt(self.fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(self.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            Glibc_close(self.fd)
            throw ClientError(description: "connect() failed: \(errno)")
        }
    }

    deinit { self.close() }

    func close() {
        guard !self.isClosed else { return }
        self.isClosed = true
        Glibc_close(self.fd)
    }

    func send(_ text: String) throws {
        try self.sendBytes(Array(text.utf8))
    }

    func sendBytes(_ bytes: [UInt8]) throws {
        var bytes = bytes
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: writing to a connection the server closed fails (EPIPE) instead of
            // killing the test process with SIGPIPE.
            #if canImport(Glibc)
            let written = bytes.withUnsafeMutableBytes {
                Glibc.send(self.fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            #else
            let written = bytes.withUnsafeMutableBytes { write(self.fd, $0.baseAddress! + offset, $0.count - offset) }
            #endif
            guard written > 0 else { throw ClientError(description: "write() failed: \(errno)") }
            offset += written
        }
        bytes.removeAll()
    }

    /// Sends `GET target` (or another method) with extra header lines.
    func request(_ method: String = "GET", _ target: String, headers: [String] = []) throws {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for header in headers { text += header + "\r\n" }
        try self.send(text + "\r\n")
    }

    /// Reads until `done(received)` holds, EOF, or `timeout` seconds; returns whether `done` held.
    @discardableResult
    func read(timeout: Double = 5, until done: ([UInt8]) -> Bool) -> Bool {
        let deadline = Self.now() + timeout
        while !done(self.received) {
            if self.sawEOF { return false }
            let remaining = deadline - Self.now()
            if remaining <= 0 { return false }
            var poller = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(remaining, 1) * 1000) + 1)
            if ready <= 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 {
                self.sawEOF = true
            } else {
                self.received += chunk[0..<count]
            }
        }
        return true
    }

    /// Reads until the peer closes; returns whether it did within `timeout`.
    func readToEOF(timeout: Double = 5) -> Bool {
        self.read(timeout: timeout) { _ in false }
        return self.sawEOF
    }

    /// The parsed response so far (head and de-chunked body), if the head is complete.
    var response: RawResponse? { RawResponse(self.received) }

    /// Reads until the head is complete and the SSE body holds `count` events.
    func readEvents(_ count: Int, timeout: Double = 5) -> [SSEMessage] {
        self.read(timeout: timeout) { bytes in (RawResponse(bytes)?.events.count ?? 0) >= count }
        return self.response?.events ?? []
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

private func Glibc_close(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}
