import EventHub
import NIOCore
import NIOEmbedded

/// Subscribers on `EmbeddedChannel`s sharing one `EmbeddedEventLoop` (so one fan-out drains them
/// all, as on a real loop), attached through `EventHub.subscribe` as the server attaches them.
enum EmbeddedBed {
    static func make(subscribers: Int) throws -> (EventHub, EmbeddedEventLoop, [EmbeddedChannel]) {
        let hub = EventHub(configuration: EventHubConfiguration(heartbeatSeconds: 0, stallTimeout: 0))
        hub.addStream(FanoutBed.stream)
        let loop = EmbeddedEventLoop()
        var channels: [EmbeddedChannel] = []
        for _ in 0..<subscribers {
            let channel = EmbeddedChannel(loop: loop)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            _ = hub.subscribe(channel: channel, scope: .stream(FanoutBed.stream), lastEventID: nil, chunked: true) { _ in }
            while try channel.readOutbound(as: ByteBuffer.self) != nil {}
            channels.append(channel)
        }
        return (hub, loop, channels)
    }
}
