/// Where and how a ``BeaconServer`` listens, and the limits it enforces on clients.
public struct BeaconServerConfiguration: Sendable {
    /// Address to bind.
    public var host: String = "127.0.0.1"
    /// Port to bind; 0 picks a free port (``BeaconServer/start()`` returns the real one).
    public var port: Int = 8080
    /// Origins allowed by CORS (`--cors-origin`); `"*"` allows any; empty sends no CORS headers.
    public var corsOrigins: [String] = []

    /// Bytes that may wait in the server for one client before its connection counts as
    /// unwritable (`--client-buffer`): the high write-buffer water mark of every connection (the
    /// low one is half). While unwritable, a stream keeps only the newest event of each plugin.
    public var clientBufferBytes: Int = 256 * 1024
    /// Open connections at most, of every kind (`--max-connections`); 0 for no limit. Past it,
    /// event streams get `200` with a long `retry:` and are closed, other requests `503`.
    public var maxConnections: Int = 10_000
    /// Open connections at most from one IP address (`--max-connections-per-ip`); 0 for no limit.
    /// Off by default: behind a reverse proxy every client has the proxy's address.
    public var maxConnectionsPerIP: Int = 0
    /// Seconds a connection has to send a complete request head (`--header-timeout`), from when
    /// it opens or its previous response was sent; 0 for none. Also closes idle keep-alive
    /// connections after that long.
    public var headerTimeout: Double = 10
    /// Longest request line (method, target, version) in bytes; longer is answered `414`.
    public var maxRequestLineBytes: Int = 8 * 1024
    /// Largest header section (every header line after the request line) in bytes; larger is
    /// answered `431`.
    public var maxHeaderBytes: Int = 32 * 1024
    /// Bearer tokens, one of which every `GET`/`HEAD` request but `/healthz` must present, as
    /// `Authorization: Bearer T`, cookie `beacon_token=T` or query `access_token=T`
    /// (`--token-file`, one per line). Empty: no authentication. Empty strings never match.
    public var tokens: [String] = []

    /// Creates a configuration; every value has the command line's default.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        corsOrigins: [String] = [],
        clientBufferBytes: Int = 256 * 1024,
        maxConnections: Int = 10_000,
        maxConnectionsPerIP: Int = 0,
        headerTimeout: Double = 10,
        maxRequestLineBytes: Int = 8 * 1024,
        maxHeaderBytes: Int = 32 * 1024,
        tokens: [String] = []
    ) {
        self.host = host
        self.port = port
        self.corsOrigins = corsOrigins
        self.clientBufferBytes = clientBufferBytes
        self.maxConnections = maxConnections
        self.maxConnectionsPerIP = maxConnectionsPerIP
        self.headerTimeout = headerTimeout
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.tokens = tokens
    }
}
