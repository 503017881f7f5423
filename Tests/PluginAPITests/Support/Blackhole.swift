import Foundation
import Glibc
import Testing

/// A listening socket on 127.0.0.1 whose accept queue is full, so that further connects hang in
/// SYN_SENT, as they do against a filtered port.
final class Blackhole {
    let port: Int
    private let listener: Int32
    private var fillers: [Int32] = []

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 0) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        try #require(listener >= 0 && bound)
        // Connect until one hangs: the queue is full from then on.
        for _ in 0..<8 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            if poll(&entry, 1, 300) == 1 {
                fillers.append(fd)
            } else {
                Glibc.close(fd)
                return
            }
        }
    }

    /// Sockets of this machine in SYN_SENT towards the port (from /proc/net/tcp).
    func connectingSockets() -> Int {
        let table = ProcessProbe.read("/proc/self/net/tcp")
        let hex = String(port, radix: 16, uppercase: true)
        let remote = "0100007F:" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        return table.split(separator: "\n").filter { line in
            let columns = line.split(separator: " ")
            return columns.count > 3 && columns[2] == remote && columns[3] == "02"
        }.count
    }

    func close() {
        for fd in fillers { Glibc.close(fd) }
        Glibc.close(listener)
    }
}
