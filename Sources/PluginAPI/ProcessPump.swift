import Glibc
import LuaKit

/// Moves bytes between us and a running child in one `poll` loop: writes its stdin and reads its
/// stdout and stderr at the same time, so a chatty program cannot deadlock against us.
struct ProcessPump {
    /// How long output is still read after the child exited, for pipes a background grandchild
    /// may hold open.
    static let drainAfterExit = 0.1

    private let child: ChildProcess
    private var input: [UInt8]
    private var inputOffset = 0
    private(set) var stdout: CappedOutput
    private(set) var stderr: CappedOutput
    private var chunk = [UInt8](repeating: 0, count: 64 << 10)

    init(child: ChildProcess, stdin: [UInt8], cap: Int) {
        self.child = child
        self.input = stdin
        self.stdout = CappedOutput(cap: cap)
        self.stderr = CappedOutput(cap: cap)
    }

    /// Runs until the child has exited and its output is read (true), or `deadline` passes with
    /// the child still running (false). Does not kill or reap the child.
    mutating func run(until deadline: LuaDeadline) -> Bool {
        var exitedAt: LuaDeadline?
        while true {
            if exitedAt == nil, child.hasExited() { exitedAt = .now() }
            let outputOpen = child.stdoutFD >= 0 || child.stderrFD >= 0
            var tick = outputOpen ? 0.05 : 0.01
            if let exitedAt {
                let sinceExit = -exitedAt.secondsRemaining
                let drainLeft = Self.drainAfterExit - sinceExit
                if !outputOpen || drainLeft <= 0 { return true }
                tick = drainLeft
            }
            let remaining = deadline.secondsRemaining
            if remaining <= 0 { return false }
            waitAndTransfer(seconds: min(tick, remaining))
        }
    }

    /// One `poll` of at most `seconds`, then whatever transfer it allows.
    private mutating func waitAndTransfer(seconds: Double) {
        var fds: [pollfd] = []
        if child.stdoutFD >= 0 { fds.append(pollfd(fd: child.stdoutFD, events: Int16(POLLIN), revents: 0)) }
        if child.stderrFD >= 0 { fds.append(pollfd(fd: child.stderrFD, events: Int16(POLLIN), revents: 0)) }
        if child.stdinFD >= 0 { fds.append(pollfd(fd: child.stdinFD, events: Int16(POLLOUT), revents: 0)) }
        let milliseconds = Int32(max(1, (seconds * 1000).rounded(.up)))
        guard poll(&fds, nfds_t(fds.count), milliseconds) > 0 else { return }  // timeout or EINTR
        for entry in fds where entry.revents != 0 {
            if entry.fd == child.stdoutFD {
                readAvailable(.stdout)
            } else if entry.fd == child.stderrFD {
                readAvailable(.stderr)
            } else if entry.fd == child.stdinFD {
                writeInput()
            }
        }
    }

    private enum Stream { case stdout, stderr }

    /// Reads until the pipe is empty; closes it at end of file or on error.
    private mutating func readAvailable(_ stream: Stream) {
        while true {
            let fd = stream == .stdout ? child.stdoutFD : child.stderrFD
            guard fd >= 0 else { return }
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                switch stream {
                case .stdout: stdout.append(chunk[..<count])
                case .stderr: stderr.append(chunk[..<count])
                }
            } else if count < 0 && (errno == EAGAIN || errno == EINTR) {
                return
            } else {
                switch stream {
                case .stdout: child.closeDescriptor(&child.stdoutFD)
                case .stderr: child.closeDescriptor(&child.stderrFD)
                }
            }
        }
    }

    /// Writes as much of stdin as the socket takes; closes it once all is written or the child
    /// stopped reading (EPIPE is not an error of the check).
    private mutating func writeInput() {
        while child.stdinFD >= 0 {
            if inputOffset >= input.count {
                child.closeDescriptor(&child.stdinFD)
                return
            }
            let sent = input.withUnsafeBytes { bytes in
                send(child.stdinFD, bytes.baseAddress.map { $0 + inputOffset }, bytes.count - inputOffset,
                    Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                inputOffset += sent
            } else if sent < 0 && (errno == EAGAIN || errno == EINTR) {
                return
            } else {
                child.closeDescriptor(&child.stdinFD)
            }
        }
    }
}
