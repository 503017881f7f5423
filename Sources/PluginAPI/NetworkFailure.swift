import AsyncHTTPClient
import Glibc
import NIOCore
import NIOPosix

/// Turns a networking error into the message a plugin gets, one wording per cause:
/// `cannot resolve host x`, `connection refused to host:port`, `timed out after 2 s`,
/// `TLS error: …`. Shared by `beacon.http.*` and `beacon.tcp.connect`.
enum NetworkFailure {
    static func message(for error: any Error, host: String, port: Int, budget: CallBudget) -> String {
        let target = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        switch error {
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first {
                return message(for: first.error, host: host, port: port, budget: budget)
            }
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "cannot resolve host \(host)" }
            return "cannot connect to \(target)"
        case let error as IOError:
            return message(errno: error.errnoCode, target: target) ?? "cannot connect to \(target): \(error)"
        case let error as ChannelError:
            if case .connectTimeout = error { return budget.timedOutMessage }
            return "connection to \(target) failed: \(error)"
        case is SocketAddressError:
            return "cannot resolve host \(host)"
        case let error as HTTPClientError:
            return message(for: error, target: target, budget: budget)
        case is ResponseAccumulator.ResponseTooBigError:
            return "response body larger than the limit"
        default:
            // NIOSSL's errors (handshake, certificate) without importing NIOSSL for their types.
            let type = String(reflecting: Swift.type(of: error))
            if type.contains("SSL") || type.contains("TLS") {
                let reason = tlsReason(error)
                if reason == "certificate verify failed" {
                    return "TLS error: \(reason) (for a private CA give tls = { ca_file = PATH })"
                }
                return "TLS error: \(reason)"
            }
            return "request to \(target) failed: \(error)"
        }
    }

    private static func message(for error: HTTPClientError, target: String, budget: CallBudget) -> String {
        switch error {
        case .connectTimeout, .readTimeout, .writeTimeout, .deadlineExceeded, .cancelled,
            .getConnectionFromPoolTimeout:
            return budget.timedOutMessage
        case .tlsHandshakeTimeout:
            return "TLS error: handshake timed out"
        case .remoteConnectionClosed:
            return "connection closed by \(target) before a complete response"
        case .redirectLimitReached:
            return "too many redirects (more than \(NetworkRuntime.maxRedirects))"
        case .redirectCycleDetected:
            return "redirect loop"
        default:
            return "request to \(target) failed: \(error)"
        }
    }

    /// BoringSSL's reason code in words (`CERTIFICATE_VERIFY_FAILED` → `certificate verify
    /// failed`), or the error's own description when it has none.
    static func tlsReason(_ error: any Error) -> String {
        let text = String(describing: error)
        guard let marker = text.ranges(of: "OPENSSL_internal:").last else { return text }
        let code = text[marker.upperBound...].prefix { $0.isUppercase || $0.isNumber || $0 == "_" }
        return code.isEmpty ? text : code.lowercased().replacing("_", with: " ")
    }

    private static func message(errno code: Int32, target: String) -> String? {
        switch code {
        case ECONNREFUSED: return "connection refused to \(target)"
        case ECONNRESET: return "connection reset by \(target)"
        case ENETUNREACH: return "network unreachable for \(target)"
        case EHOSTUNREACH: return "host unreachable: \(target)"
        case ETIMEDOUT: return "connection to \(target) timed out"
        default: return nil
        }
    }
}
