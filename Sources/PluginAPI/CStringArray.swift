import Glibc

/// A NULL-terminated array of C strings (argv, envp) that frees itself.
final class CStringArray {
    /// The strings followed by a NULL pointer, as `posix_spawn` wants them.
    let pointers: [UnsafeMutablePointer<CChar>?]
    /// False when an allocation failed (some entry is NULL before the end).
    let isComplete: Bool

    init(_ strings: [String]) {
        let copies = strings.map { strdup($0) }
        self.pointers = copies + [nil]
        self.isComplete = !copies.contains(nil)
    }

    deinit {
        for pointer in pointers { free(pointer) }
    }
}
