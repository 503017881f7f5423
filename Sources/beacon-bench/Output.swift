import Foundation

/// Where `beacon-bench` writes: results on standard output, notes for people on standard error.
enum Output {
    /// Writes `text` and a newline to standard output, unbuffered.
    static func result(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Writes `text` and a newline to standard error.
    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
