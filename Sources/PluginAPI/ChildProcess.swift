import Glibc

/// A program started with `posix_spawnp` in a process group of its own, its stdio connected to
/// descriptors we hold. Owned by one `ChildWatch` from spawn to reap (not thread-safe).
final class ChildProcess {
    /// Why a program could not start: the `errno` posix_spawn reported (ENOENT, EACCES, …).
    struct SpawnFailure: Error {
        var code: Int32
        /// `No such file or directory`.
        var message: String { String(cString: strerror(code)) }
    }

    /// The child's pid, also its process group id.
    let pid: pid_t
    /// Our end of the child's stdin (a socket, so writes can use MSG_NOSIGNAL), or -1.
    var stdinFD: Int32
    /// Our end of the child's stdout pipe (non-blocking), or -1 once closed.
    var stdoutFD: Int32
    /// Our end of the child's stderr pipe (non-blocking), or -1 once closed.
    var stderrFD: Int32
    private var reaped = false

    private init(pid: pid_t, stdinFD: Int32, stdoutFD: Int32, stderrFD: Int32) {
        self.pid = pid
        self.stdinFD = stdinFD
        self.stdoutFD = stdoutFD
        self.stderrFD = stderrFD
    }

    /// Starts `argv` (argv[0] looked up in PATH when it has no slash; no shell) with `environment`
    /// ("KEY=value" entries). Stdin is a socket when `connectStdin`, /dev/null otherwise.
    static func spawn(argv: [String], environment: [String], connectStdin: Bool) throws(SpawnFailure) -> ChildProcess {
        var opened = OpenDescriptors()
        let stdout = try opened.pipe()
        let stderr = try opened.pipe()
        let stdin = connectStdin ? try opened.socketPair() : nil

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdin {
            posix_spawn_file_actions_adddup2(&actions, stdin.theirs, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, stdout.theirs, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr.theirs, 2)
        // Everything else is close-on-exec already when created by us; this also covers
        // descriptors other code in the process opened without the flag.
        if let closeFrom = GNUExtensions.addCloseFrom { _ = closeFrom(&actions, 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        // Dispositions and masks of our threads (e.g. an ignored SIGPIPE) must not leak into it.
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let arguments = CStringArray(argv)
        let variables = CStringArray(environment)
        guard arguments.isComplete, variables.isComplete, let program = arguments.pointers.first ?? nil else {
            opened.closeAll()
            throw SpawnFailure(code: ENOMEM)
        }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, program, &actions, &attributes, arguments.pointers, variables.pointers)
        guard result == 0, pid > 1 else {
            opened.closeAll()
            throw SpawnFailure(code: result == 0 ? ECHILD : result)
        }
        // The child has its copies; keep only our ends.
        _ = Glibc.close(stdout.theirs)
        _ = Glibc.close(stderr.theirs)
        if let stdin { _ = Glibc.close(stdin.theirs) }
        for fd in [stdout.ours, stderr.ours, stdin?.ours ?? -1] where fd >= 0 {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        return ChildProcess(pid: pid, stdinFD: stdin?.ours ?? -1, stdoutFD: stdout.ours, stderrFD: stderr.ours)
    }

    /// A pidfd of the child: readable once it has exited (it stays a zombie, unreaped, so its pid
    /// and process group id cannot be reused until `reap()`).
    func openExitDescriptor() throws(SpawnFailure) -> Int32 {
        guard let pidfdOpen = GNUExtensions.pidfdOpen else { throw SpawnFailure(code: ENOSYS) }
        let fd = pidfdOpen(pid, 0)
        guard fd >= 0 else { throw SpawnFailure(code: errno) }
        return fd
    }

    /// SIGKILLs the child's whole process group (whatever it started that stayed in the group).
    /// Only before `reap()`: until then the pid is ours and cannot name anyone else's group.
    func killGroup() {
        guard !reaped, pid > 1 else { return }
        _ = killpg(pid, SIGKILL)
    }

    /// Reaps the child and returns its exit status, or 128+signal when a signal killed it (as
    /// shells report it); -1 if it was reaped elsewhere. Waits until it ends: call it once it has
    /// exited (its pidfd was readable), when it returns at once.
    func reap() -> Int {
        guard !reaped else { return -1 }
        var status: Int32 = 0
        var result: pid_t
        repeat {
            result = waitpid(pid, &status, 0)
        } while result < 0 && errno == EINTR
        reaped = true
        guard result == pid else { return -1 }
        let signal = status & 0x7f
        return signal == 0 ? Int((status >> 8) & 0xff) : 128 + Int(signal)
    }

    /// Closes one of our descriptors and marks it closed.
    func closeDescriptor(_ fd: inout Int32) {
        guard fd >= 0 else { return }
        _ = Glibc.close(fd)
        fd = -1
    }

    deinit {
        // A safety net for early exits: no zombie and no leaked descriptor, ever.
        if !reaped {
            killGroup()
            _ = reap()
        }
        closeDescriptor(&stdinFD)
        closeDescriptor(&stdoutFD)
        closeDescriptor(&stderrFD)
    }
}
