import NIOCore

/// Tells when the connection closes, before any other handler hears of it.
///
/// An `EmbeddedChannel` keeps what is written after it closed, where a socket fails those writes:
/// a handler that answers while the pipeline shuts down (the decoder reporting a half request,
/// say) would show output no client could ever receive. Placed first in the pipeline, this
/// handler lets the connection keep only what was written until the close.
final class CloseObserver: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let onClose: () -> Void

    init(onClose: @escaping () -> Void) {
        self.onClose = onClose
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.onClose()
        context.fireChannelInactive()
    }
}
