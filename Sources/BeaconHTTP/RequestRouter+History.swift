import EventHub
import EventStore
import NIOCore
import NIOHTTP1

/// `GET /plugins/NAME/history`: a plugin's past events as JSON, read off the event loop.
extension RequestRouter {
    func history(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, plugin name: String, query: RequestQuery) {
        let parsed: HistoryQuery
        switch HistoryQuery.parse(query) {
        case .failure(let problem):
            self.send(context, head, .badRequest, json: ErrorBody.badRequest(problem.reason))
            return
        case .success(let query):
            parsed = query
        }
        self.state = .answering(pipelined: false)
        let router = NIOLoopBound(self, eventLoop: context.eventLoop)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.settings.hub.history(of: name, in: parsed.range, limit: parsed.limit, on: context.eventLoop).whenComplete { result in
            router.value.answer(bound.value, head, plugin: name, result)
        }
    }

    private func answer(
        _ context: ChannelHandlerContext, _ head: HTTPRequestHead, plugin name: String, _ result: Result<[StoredEvent]?, any Error>
    ) {
        guard case .answering(let pipelined) = self.state else { return }
        self.state = .idle
        switch result {
        case .success(.some(let events)):
            var body = context.channel.allocator.buffer(capacity: 64 + events.count * 96)
            body.writeStaticString("[")
            for (index, event) in events.enumerated() {
                if index > 0 { body.writeStaticString(",") }
                body.writeString("{\"id\":\(event.id),\"event\":\(JSONText.quoted(event.event)),\"data\":")
                // Every stored data payload is one line of JSON made by the plugin host.
                body.writeBytes(event.data)
                body.writeString(",\"time\":\(Self.seconds(event.unixMilliseconds))")
                if let status = event.status {
                    body.writeString(",\"status\":\(JSONText.quoted(status))}")
                } else {
                    body.writeStaticString(",\"status\":null}")
                }
            }
            body.writeStaticString("]")
            self.send(context, head, .ok, headers: [:], body: body, contentType: "application/json", close: pipelined)
        case .success(.none):
            self.send(context, head, .notFound, json: ErrorBody.unknownPlugin(name), close: pipelined)
        case .failure(let error):
            self.send(context, head, .serviceUnavailable, json: ErrorBody.storeUnavailable("\(error)"), close: pipelined)
        }
    }

    /// Unix milliseconds as seconds with three decimals.
    static func seconds(_ milliseconds: Int64) -> String {
        let sign = milliseconds < 0 ? "-" : ""
        let magnitude = milliseconds.magnitude
        let fraction = String(magnitude % 1000)
        return "\(sign)\(magnitude / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
