import Foundation

/// A certificate for 127.0.0.1 and its key, made by the `openssl` command in a folder of their own
/// (removed by `remove()`), for HTTPS tests.
struct SelfSignedCertificate {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let folder: URL
    var certificate: String { folder.appendingPathComponent("cert.pem").path }
    var key: String { folder.appendingPathComponent("key.pem").path }

    init() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("beacon-tls-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-days", "2", "-subj", "/CN=beacon test", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", folder.appendingPathComponent("key.pem").path,
            "-out", folder.appendingPathComponent("cert.pem").path,
        ]
        let errors = Pipe()
        openssl.standardError = errors
        openssl.standardOutput = FileHandle.nullDevice
        try openssl.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else {
            remove()
            throw Failure(description: "openssl failed (scripts/install-deps installs it): "
                + String(decoding: message, as: UTF8.self))
        }
    }

    func remove() {
        try? FileManager.default.removeItem(at: folder)
    }
}
