import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 server on 127.0.0.1 (port chosen by the OS) for the host-function tests.
///
/// Routes: `/ok` (200, two `Set-Cookie`s, body `hello`), `/status/N`, `/slow?ms=N`,
/// `/redirect/N` (N hops, then 200 `landed`), `/loop` (redirects to itself), `/big?bytes=N`,
/// `/echo` (body `METHOD body`, request headers echoed as `x-echo-<name>`).
final class TestHTTPServer: Sendable {
    let port: Int
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup

    init() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        self.channel = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(RouteHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        self.port = channel.localAddress?.port ?? 0
    }

    /// `http://127.0.0.1:PORT` + `path`.
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    func shutdown() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// Answers one request at a time per connection, by path.
private final class RouteHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var head: HTTPRequestHead?
    private var body = ""

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = ""
        case .body(let buffer):
            body += String(buffer: buffer)
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
        } else if path == "/echo" {
            let echoed = head.headers.map { ("x-echo-\($0.name.lowercased())", $0.value) }
            write(context, .ok, [:], extra: echoed, body: "\(head.method.rawValue) \(body)")
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
        var fields = HTTPHeaders(headers.map { ($0.key, $0.value) } + extra)
        fields.replaceOrAdd(name: "Content-Length", value: String(body.utf8.count))
        let head = HTTPResponseHead(version: .http1_1, status: status, headers: fields)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
