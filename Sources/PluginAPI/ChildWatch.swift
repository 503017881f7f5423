import Dispatch
import Glibc

/// Watches one running child without a thread of its own: Dispatch sources on the shared serial
/// `queue` write its stdin and read its stdout and stderr whenever they are ready (so a chatty
/// program cannot deadlock against us), its pidfd says when it exits, and a timer bounds it.
///
/// Invariants: every method but `start` and `cancel` runs on `queue`, the only place its state
/// changes (hence `@unchecked Sendable`); a descriptor is closed only in its source's cancel
/// handler; the process group is killed before the child is reaped, and the child is always
/// reaped. The sources' handlers keep the watch alive until then.
final class ChildWatch: @unchecked Sendable {
    /// How a watched child ended.
    enum Outcome {
        /// It exited with `code` (128+signal when a signal ended it), its output read.
        case exited(code: Int, stdout: CappedOutput, stderr: CappedOutput)
        /// The deadline came first; its group was killed.
        case timedOut
    }

    /// Every watch's handlers run here, one event at a time, and none of them waits.
    static let queue = DispatchQueue(label: "beacon.exec")

    /// How long output is still read after the child exited, for pipes a background grandchild
    /// may hold open.
    static let drainAfterExit = DispatchTimeInterval.milliseconds(100)

    /// The most bytes moved per event, so that one busy child cannot hold the queue.
    private static let chunkSize = 64 << 10

    private enum Ending { case exited, timedOut, cancelled }
    private enum Output { case stdout, stderr }

    private let child: ChildProcess
    private let exitDescriptor: Int32
    private let input: [UInt8]
    private var inputOffset = 0
    private var stdout: CappedOutput
    private var stderr: CappedOutput
    private var completion: (@Sendable (Outcome) -> Void)?

    private var stdoutSource: (any DispatchSourceRead)?
    private var stderrSource: (any DispatchSourceRead)?
    private var stdinSource: (any DispatchSourceWrite)?
    private var exitSource: (any DispatchSourceRead)?
    private var deadlineTimer: (any DispatchSourceTimer)?
    private var drainTimer: (any DispatchSourceTimer)?
    private var hasExited = false
    private var isFinished = false

    /// Takes over `child` and `exitDescriptor` (its pidfd); `stdin` is written to the child when
    /// it was spawned with a connected stdin. Output beyond `cap` bytes per stream is dropped.
    init(child: ChildProcess, exitDescriptor: Int32, stdin: [UInt8], cap: Int) {
        self.child = child
        self.exitDescriptor = exitDescriptor
        self.input = stdin
        self.stdout = CappedOutput(cap: cap)
        self.stderr = CappedOutput(cap: cap)
    }

    /// Starts watching; `completion` is called once, on `queue`, unless `cancel()` comes first.
    func start(deadline: DispatchTime, completion: @escaping @Sendable (Outcome) -> Void) {
        Self.queue.async { [self] in
            self.completion = completion
            exitSource = readSource(exitDescriptor, onReady: { $0.childExited() }, onCancel: { watch in
                _ = Glibc.close(watch.exitDescriptor)
            })
            stdoutSource = readSource(child.stdoutFD, onReady: { $0.read(.stdout) }, onCancel: { watch in
                watch.child.closeDescriptor(&watch.child.stdoutFD)
            })
            stderrSource = readSource(child.stderrFD, onReady: { $0.read(.stderr) }, onCancel: { watch in
                watch.child.closeDescriptor(&watch.child.stderrFD)
            })
            if child.stdinFD >= 0 {
                let source = DispatchSource.makeWriteSource(fileDescriptor: child.stdinFD, queue: Self.queue)
                source.setEventHandler { self.writeInput() }
                source.setCancelHandler { self.child.closeDescriptor(&self.child.stdinFD) }
                source.activate()
                stdinSource = source
            }
            deadlineTimer = timer(at: deadline) { $0.finish(.timedOut) }
        }
    }

    /// Stops at once: kills the group, closes every descriptor, reaps the child as soon as it is
    /// gone, and never calls the completion.
    func cancel() {
        Self.queue.async { self.finish(.cancelled) }
    }

    // MARK: - On the queue

    private func readSource(
        _ fd: Int32, onReady: @escaping (ChildWatch) -> Void, onCancel: @escaping (ChildWatch) -> Void
    ) -> any DispatchSourceRead {
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: Self.queue)
        source.setEventHandler { onReady(self) }
        source.setCancelHandler { onCancel(self) }
        source.activate()
        return source
    }

    private func timer(at deadline: DispatchTime, _ fire: @escaping (ChildWatch) -> Void) -> any DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: Self.queue)
        timer.schedule(deadline: deadline, repeating: .never, leeway: .milliseconds(1))
        timer.setEventHandler { fire(self) }
        timer.activate()
        return timer
    }

    /// One read from a ready pipe; at end of file (or an error) the pipe is done.
    private func read(_ output: Output) {
        let fd = output == .stdout ? child.stdoutFD : child.stderrFD
        let count = withUnsafeTemporaryAllocation(byteCount: Self.chunkSize, alignment: 1) { buffer in
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count > 0 {
                let chunk = UnsafeRawBufferPointer(rebasing: buffer[..<count])
                switch output {
                case .stdout: stdout.append(chunk)
                case .stderr: stderr.append(chunk)
                }
            }
            return count
        }
        if count > 0 || (count < 0 && (errno == EAGAIN || errno == EINTR)) { return }
        switch output {
        case .stdout:
            stdoutSource?.cancel()
            stdoutSource = nil
        case .stderr:
            stderrSource?.cancel()
            stderrSource = nil
        }
        if hasExited && stdoutSource == nil && stderrSource == nil { finish(.exited) }
    }

    /// Writes what the socket takes of the rest of stdin; closes it once all is written or the
    /// child stopped reading (EPIPE is not an error of the check).
    private func writeInput() {
        let fd = child.stdinFD
        let sent = input.withUnsafeBytes { bytes in
            let count = min(bytes.count - inputOffset, Self.chunkSize)
            return count <= 0 ? 0 : send(fd, bytes.baseAddress.map { $0 + inputOffset }, count, Int32(MSG_NOSIGNAL))
        }
        if sent > 0 { inputOffset += sent }
        if sent < 0 && (errno == EAGAIN || errno == EINTR) { return }
        if sent <= 0 || inputOffset >= input.count {
            stdinSource?.cancel()
            stdinSource = nil
        }
    }

    /// The pidfd became readable: the child is a zombie now.
    private func childExited() {
        exitSource?.cancel()
        exitSource = nil
        hasExited = true
        if isFinished {
            _ = child.reap()  // killed at its deadline or cancelled: only reaping was left
        } else if stdoutSource == nil && stderrSource == nil {
            finish(.exited)
        } else {
            drainTimer = timer(at: .now() + Self.drainAfterExit) { $0.finish(.exited) }
        }
    }

    private func finish(_ ending: Ending) {
        guard !isFinished else { return }
        isFinished = true
        for source in [stdoutSource, stderrSource, stdinSource, deadlineTimer, drainTimer] as [(any DispatchSourceProtocol)?] {
            source?.cancel()
        }
        (stdoutSource, stderrSource, stdinSource, deadlineTimer, drainTimer) = (nil, nil, nil, nil, nil)
        // Whatever the child left running in its group goes with it. The leader is not reaped
        // yet, so the group id is still ours.
        child.killGroup()
        // Not exited yet: the exit source reaps it once the SIGKILL has taken.
        let code = hasExited ? child.reap() : nil
        let completion = self.completion
        self.completion = nil
        switch ending {
        case .exited: completion?(.exited(code: code ?? -1, stdout: stdout, stderr: stderr))
        case .timedOut: completion?(.timedOut)
        case .cancelled: break
        }
    }
}
