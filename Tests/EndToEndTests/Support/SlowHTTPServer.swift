import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server on 127.0.0.1 that answers every request `200 ok` after `delay` seconds,
/// keeping connections open between requests. Dispatch sources on one queue; no thread per
/// connection.
final class SlowHTTPServer: @unchecked Sendable {
    // @unchecked: everything but `port` and `requests` is touched only on `queue`.
    let port: Int
    let requests = Atomic<Int>(0)
    private let delay: Double
    private let queue = DispatchQueue(label: "slow-http-server")
    private let listener: Int32
    private var acceptSource: (any DispatchSourceRead)?
    private var connections: [Int32: (source: any DispatchSourceRead, buffer: [UInt8])] = [:]

    init(delay: Double) throws {
        self.delay = delay
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = listener
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 1024) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard fd >= 0, ready else { throw TestFailure("cannot listen on 127.0.0.1") }
        port = Int(UInt16(bigEndian: address.sin_port))
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        queue.sync {
            let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
            source.setEventHandler { [unowned self] in acceptAll() }
            source.activate()
            acceptSource = source
        }
    }

    /// Stops listening and closes every connection.
    func close() {
        queue.sync {
            acceptSource?.cancel()
            for (fd, connection) in connections {
                connection.source.cancel()
                _ = Glibc.close(fd)
            }
            connections = [:]
            _ = Glibc.close(listener)
        }
    }

    private func acceptAll() {
        while true {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
            source.setEventHandler { [unowned self] in read(fd) }
            connections[fd] = (source, [])
            source.activate()
        }
    }

    private func read(_ fd: Int32) {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else {
            if count < 0, errno == EAGAIN { return }
            connections[fd]?.source.cancel()
            connections[fd] = nil
            _ = Glibc.close(fd)
            return
        }
        connections[fd]?.buffer += chunk[..<count]
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        while let buffer = connections[fd]?.buffer,
              let range = buffer.firstRange(of: end) {
            connections[fd]?.buffer = Array(buffer[range.upperBound...])
            requests.add(1, ordering: .relaxed)
            queue.asyncAfter(deadline: .now() + delay) { [weak self] in
                guard let self, self.connections[fd] != nil else { return }
                let response = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok".utf8)
                _ = response.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
        }
    }
}
