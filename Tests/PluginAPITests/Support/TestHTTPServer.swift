import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A small HTTP/1.1 server on 127.0.0.1 (port chosen by the OS) for the host-function tests,
/// plain or, given a certificate, HTTPS.
///
/// Routes: `/ok` (200, two `Set-Cookie`s, body `hello`), `/status/N`, `/slow?ms=N`, `/hang` (never
/// answers), `/redirect/N` (N hops, then 200 `landed`), `/loop` (redirects to itself),
/// `/big?bytes=N`, `/bytes` (a body that is not UTF-8: `TestHTTPServer.notUTF8`), `/echo` (body
/// `METHOD ` and the request body's bytes, request headers echoed as `x-echo-<name>`).
final class TestHTTPServer: Sendable {
    /// The body of `/bytes`: invalid UTF-8, a NUL and plain ASCII.
    static let notUTF8: [UInt8] = [0xFF, 0xFE, 0x00, 0x41, 0xC3, 0x28, 0x80]

    let port: Int
    /// Connections open now and the most open at once so far.
    let connections = ConnectionCounter()
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup

    /// A server; with `tls`, it speaks HTTPS with that certificate and key (PEM files).
    init(tls: (certificate: String, key: String)? = nil) throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        let context = try tls.map { files in
            try NIOSSLContext(configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(files.certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: files.key, format: .pem))))
        }
        let counter = connections
        self.channel = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(CountingHandler(counter: counter))
                    if let context { try pipeline.addHandler(NIOSSLServerHandler(context: context)) }
                    try pipeline.configureHTTPServerPipeline()
                    try pipeline.addHandler(RouteHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        self.port = channel.localAddress?.port ?? 0
    }

    /// `http://127.0.0.1:PORT` + `path` (`https://` for a TLS server).
    func url(_ path: String, scheme: String = "http") -> String { "\(scheme)://127.0.0.1:\(port)\(path)" }

    func shutdown() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// A server's open connections and the most open at once.
final class ConnectionCounter: Sendable {
    private let state = Mutex((open: 0, peak: 0))

    var open: Int { state.withLock { $0.open } }
    var peak: Int { state.withLock { $0.peak } }

    fileprivate func opened() {
        state.withLock {
            $0.open += 1
            $0.peak = max($0.peak, $0.open)
        }
    }

    fileprivate func closed() {
        state.withLock { $0.open -= 1 }
    }
}

/// Tells the counter when its connection opens and closes.
private final class CountingHandler: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    let counter: ConnectionCounter

    init(counter: ConnectionCounter) {
        self.counter = counter
    }

    func channelActive(context: ChannelHandlerContext) {
        counter.opened()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        counter.closed()
        context.fireChannelInactive()
    }
}

/// Answers one request at a time per connection, by path.
private final class RouteHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var buffer):
            body.writeBuffer(&buffer)
        case .end:
            guard let head else { return }
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let (path, query) = split(head.uri)
        let number = Int(query.split(separator: "=").last ?? "") ?? 0
        if path == "/ok" {
            write(context, .ok, ["Content-Type": "text/plain", "X-Test": "yes", "Set-Cookie": "a=1"],
                extra: [("Set-Cookie", "b=2")], body: "hello")
        } else if path.hasPrefix("/status/") {
            let code = Int(path.dropFirst("/status/".count)) ?? 500
            write(context, HTTPResponseStatus(statusCode: code), [:], body: "status \(code)")
        } else if path == "/slow" {
            let loop = context.eventLoop.assumeIsolated()
            loop.scheduleTask(in: .milliseconds(Int64(number))) {
                self.write(context, .ok, [:], body: "slow")
            }
        } else if path == "/hang" {
            return
        } else if path.hasPrefix("/redirect/") {
            let hops = Int(path.dropFirst("/redirect/".count)) ?? 0
            if hops > 0 {
                write(context, .found, ["Location": "/redirect/\(hops - 1)"], body: "")
            } else {
                write(context, .ok, [:], body: "landed")
            }
        } else if path == "/loop" {
            write(context, .found, ["Location": "/loop"], body: "")
        } else if path == "/big" {
            write(context, .ok, [:], body: String(repeating: "x", count: number))
        } else if path == "/bytes" {
            write(context, .ok, [:], bytes: ByteBuffer(bytes: TestHTTPServer.notUTF8))
        } else if path == "/echo" {
            let echoed = head.headers.map { ("x-echo-\($0.name.lowercased())", $0.value) }
            var answer = ByteBuffer(string: "\(head.method.rawValue) ")
            answer.writeImmutableBuffer(body)
            write(context, .ok, [:], extra: echoed, bytes: answer)
        } else {
            write(context, .notFound, [:], body: "no route")
        }
    }

    private func split(_ uri: String) -> (Substring, Substring) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return (parts[0], parts.count > 1 ? parts[1] : "")
    }

    private func write(
        _ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ headers: [String: String],
        extra: [(String, String)] = [], body: String
    ) {
        write(context, status, headers, extra: extra, bytes: ByteBuffer(string: body))
    }

    private func write(
        _ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ headers: [String: String],
        extra: [(String, String)] = [], bytes: ByteBuffer
    ) {
        var fields = HTTPHeaders(headers.map { ($0.key, $0.value) } + extra)
        fields.replaceOrAdd(name: "Content-Length", value: String(bytes.readableBytes))
        let head = HTTPResponseHead(version: .http1_1, status: status, headers: fields)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
