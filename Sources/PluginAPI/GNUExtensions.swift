import Glibc

/// glibc functions that Swift's Glibc module does not import (they are GNU extensions), looked up
/// once by name. Each is nil where this glibc lacks it; callers fall back to something portable.
enum GNUExtensions {
    /// `int pipe2(int fds[2], int flags)`: a pipe created close-on-exec atomically.
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    /// `int posix_spawn_file_actions_addclosefrom_np(actions, int from)` (glibc 2.34+).
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// `int pidfd_open(pid_t pid, unsigned int flags)` (glibc 2.36+, Linux 5.3+): a descriptor,
    /// close-on-exec, that becomes readable when the process exits.
    typealias PidfdOpen = @convention(c) (pid_t, UInt32) -> Int32

    static let pipe2: Pipe2? = symbol("pipe2")
    static let pidfdOpen: PidfdOpen? = symbol("pidfd_open")
    static let addCloseFrom: AddCloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")

    private static func symbol<Function>(_ name: String) -> Function? {
        // A null handle is RTLD_DEFAULT: search the libraries already loaded (glibc among them).
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(address, to: Function.self)
    }
}
