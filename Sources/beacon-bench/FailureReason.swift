import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Short, stable names for why a connection failed or broke, the keys of the report's `errors`.
enum FailureReason {
    /// The name of `error`: `refused`, `reset`, `connect_timeout`, `addr_not_available`, …
    static func name(of error: any Error) -> String {
        if let error = error as? ChannelError {
            switch error {
            case .connectTimeout: return "connect_timeout"
            case .eof: return "eof"
            case .ioOnClosedChannel, .alreadyClosed: return "closed"
            default: return "channel_error"
            }
        }
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: return "refused"
            case ECONNRESET: return "reset"
            case EPIPE: return "broken_pipe"
            case ETIMEDOUT: return "timed_out"
            case EADDRNOTAVAIL: return "addr_not_available"
            case EADDRINUSE: return "addr_in_use"
            case EMFILE, ENFILE: return "too_many_open_files"
            case ENOBUFS, ENOMEM: return "out_of_memory"
            default: return "errno_\(error.errnoCode)"
            }
        }
        if error is HTTPParserError { return "bad_http" }
        return "error_\(type(of: error))"
    }
}
