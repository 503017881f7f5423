import NIOCore
import NIOHTTP1

/// Hands the publisher's answers and connection losses back to its ``Publisher``.
final class PublishResponseHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let publisher: Publisher
    private var status = HTTPResponseStatus.ok
    private var lost = false

    init(publisher: Publisher) { self.publisher = publisher }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status
        case .body:
            break
        case .end:
            publisher.answered(status: status)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        report(context.channel, error: error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        report(context.channel, error: nil)
    }

    private func report(_ channel: any Channel, error: (any Error)?) {
        guard !lost else { return }
        lost = true
        publisher.lost(channel, error: error)
    }
}
