import Glibc

/// The descriptors made for one spawn, so that a failure half way closes all of them.
struct OpenDescriptors {
    /// One channel to a child: the end we keep and the end the child gets.
    struct Channel {
        var ours: Int32
        var theirs: Int32
    }

    private var all: [Int32] = []

    /// A close-on-exec pipe whose read end is ours (for the child's stdout or stderr).
    mutating func pipe() throws(ChildProcess.SpawnFailure) -> Channel {
        var fds: [Int32] = [-1, -1]
        let result: Int32
        if let pipe2 = GNUExtensions.pipe2 {
            result = fds.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return -1 }
                return pipe2(base, O_CLOEXEC)
            }
        } else {
            result = Glibc.pipe(&fds)
            if result == 0 {
                for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            }
        }
        guard result == 0 else { throw failure() }
        all += fds
        return Channel(ours: fds[0], theirs: fds[1])
    }

    /// A close-on-exec socket pair (for the child's stdin: `send` with MSG_NOSIGNAL never raises
    /// SIGPIPE in our process when the child stops reading).
    mutating func socketPair() throws(ChildProcess.SpawnFailure) -> Channel {
        var fds: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &fds) == 0 else { throw failure() }
        all += fds
        return Channel(ours: fds[0], theirs: fds[1])
    }

    /// Closes everything made so far (the spawn failed).
    mutating func closeAll() {
        for fd in all { _ = close(fd) }
        all = []
    }

    private mutating func failure() -> ChildProcess.SpawnFailure {
        let code = errno
        closeAll()
        return ChildProcess.SpawnFailure(code: code)
    }
}
