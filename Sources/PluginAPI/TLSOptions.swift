import Glibc
import LuaKit
import NIOSSL

/// The `tls` option of `beacon.http.*`: `{ verify = false }` accepts any certificate (encrypted,
/// not authenticated), `{ ca_file = PATH }` trusts the PEM certificates in PATH instead of the
/// system's store. Without it, certificates are verified against the system's store.
struct TLSOptions {
    static let keys: Set<String> = ["verify", "ca_file"]
    /// A CA file larger than this is refused rather than read.
    static let maxCAFileBytes = 1 << 20

    var verify = true
    var caFile: String?

    /// Reads `tls = {...}`; nil when the option is absent.
    init?(_ value: LuaValue, function: String) throws(HostArgumentError) {
        if value.isNil { return nil }
        guard case .table(let items, let fields) = value, items.isEmpty else {
            throw HostArgumentError(function, "tls must be a table {verify=, ca_file=}")
        }
        for field in fields where !Self.keys.contains(field.key) {
            throw HostArgumentError(function, "unknown tls option '\(field.key)'")
        }
        switch value[field: "verify"] {
        case .nil: break
        case .boolean(let verify): self.verify = verify
        default: throw HostArgumentError(function, "tls.verify must be true or false")
        }
        switch value[field: "ca_file"] {
        case .nil: break
        case .string(let path) where !path.isEmpty && !path.utf8.contains(0): caFile = path
        default: throw HostArgumentError(function, "tls.ca_file must be the path of a PEM file")
        }
        if !verify && caFile != nil {
            throw HostArgumentError(function, "tls.ca_file has no use with tls.verify = false: give one of them")
        }
    }

    /// The TLS configuration of one request, or a message naming the CA file that cannot be used.
    func configuration() -> Result<TLSConfiguration, CAFileProblem> {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if !verify { configuration.certificateVerification = .none }
        if let caFile {
            let certificates: [NIOSSLCertificate]
            switch Self.read(caFile) {
            case .failure(let problem): return .failure(problem)
            case .success(let bytes): certificates = (try? NIOSSLCertificate.fromPEMBytes(bytes)) ?? []
            }
            guard !certificates.isEmpty else {
                return .failure(CAFileProblem(message: "CA file '\(caFile)' holds no PEM certificate"))
            }
            configuration.trustRoots = .certificates(certificates)
        }
        return .success(configuration)
    }

    /// Why a CA file cannot be used, in words that name it.
    struct CAFileProblem: Error {
        var message: String
    }

    private static func read(_ path: String) -> Result<[UInt8], CAFileProblem> {
        func problem(_ code: Int32) -> Result<[UInt8], CAFileProblem> {
            .failure(CAFileProblem(message: "cannot read CA file '\(path)': \(String(cString: strerror(code)))"))
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return problem(errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count == 0 { return .success(bytes) }
            if count < 0 {
                if errno == EINTR { continue }
                return problem(errno)
            }
            bytes.append(contentsOf: chunk[..<count])
            if bytes.count > maxCAFileBytes { return problem(EFBIG) }
        }
    }
}
