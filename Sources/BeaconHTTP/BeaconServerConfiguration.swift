/// Where and how a ``BeaconServer`` listens.
public struct BeaconServerConfiguration: Sendable {
    /// Address to bind.
    public var host: String = "127.0.0.1"
    /// Port to bind; 0 picks a free port (``BeaconServer/start()`` returns the real one).
    public var port: Int = 8080
    /// Origins allowed by CORS (`--cors-origin`); `"*"` allows any; empty sends no CORS headers.
    public var corsOrigins: [String] = []

    /// Creates a configuration; every value has the command line's default.
    public init(host: String = "127.0.0.1", port: Int = 8080, corsOrigins: [String] = []) {
        self.host = host
        self.port = port
        self.corsOrigins = corsOrigins
    }
}
