import NIOCore
import NIOHTTP1

/// Plain (non-streaming) responses: always a length, CORS, and keep-alive or close.
extension RequestRouter {
    func send(
        _ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: HTTPResponseStatus, json: String,
        close: Bool = false
    ) {
        self.send(context, head, status, headers: [:], body: json, contentType: "application/json", close: close)
    }

    func send(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: HTTPResponseStatus, json: [UInt8]) {
        var buffer = context.channel.allocator.buffer(capacity: json.count)
        buffer.writeBytes(json)
        self.send(context, head, status, headers: [:], body: buffer, contentType: "application/json", close: false)
    }

    func send(
        _ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: HTTPResponseStatus,
        headers: HTTPHeaders, body: String?, contentType: String?, close: Bool
    ) {
        let buffer = body.map { context.channel.allocator.buffer(string: $0) }
        self.send(context, head, status, headers: headers, body: buffer, contentType: contentType, close: close)
    }

    func send(
        _ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: HTTPResponseStatus,
        headers extra: HTTPHeaders, body: ByteBuffer?, contentType: String?, close: Bool
    ) {
        var headers = extra
        if let contentType { headers.add(name: "Content-Type", value: contentType) }
        if let body { headers.add(name: "Content-Length", value: String(body.readableBytes)) }
        self.settings.cors.apply(origin: head.headers.first(name: "origin"), to: &headers)
        let keepAlive = head.isKeepAlive && !close
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let response = HTTPResponseHead(version: head.version, status: status, headers: headers)
        context.write(self.wrapOutboundOut(.head(response)), promise: nil)
        if let body, head.method != .HEAD, body.readableBytes > 0 {
            context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        self.end(context, close: !keepAlive)
    }

    /// Ends the response; with `close`, closes the connection once it is written.
    func end(_ context: ChannelHandlerContext, close: Bool) {
        self.headGuard?.responded(keepAlive: !close)
        guard close else {
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        self.state = .closing
        let channel = context.channel
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: written)
    }
}
