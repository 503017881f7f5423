import NIOCore
import NIOHTTP1
import NIOPosix

/// Sends timestamped POSTs at a steady rate on one keep-alive connection, ticking at fixed
/// times (start + k / rate) so that slow answers do not shift the schedule.
final class Publisher: @unchecked Sendable {
    // @unchecked: every mutable property is touched only on `loop`.

    /// What a publish run did.
    struct Result: Sendable {
        var url: String
        var rate: Double
        var seconds: Double
        var sent = 0
        var ok = 0
        var skipped = 0
        var statuses: [String: Int] = [:]
        var errors: [String: Int] = [:]

        /// One JSON object with stable keys.
        var json: JSONValue {
            .object([
                "url": .string(url),
                "rate": .number(rate, decimals: 3),
                "duration_s": .number(seconds, decimals: 3),
                "sent": .int(sent),
                "ok": .int(ok),
                "skipped": .int(skipped),
                "statuses": .dictionary(statuses.mapValues { .int($0) }),
                "errors": .dictionary(errors.mapValues { .int($0) }),
            ])
        }

        /// One line for a person.
        var summary: String {
            "beacon-bench publish: \(ok)/\(sent) answered 2xx, \(skipped) ticks skipped"
                + (errors.isEmpty ? "" : ", errors: " + errors.sorted { $0.key < $1.key }
                    .map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
    }

    private let loop: any EventLoop
    private let url: LoopbackURL
    private let field: String
    private let interval: TimeAmount
    private let ticks: Int
    private let connectTimeout: TimeAmount
    private let done: EventLoopPromise<Void>
    private var start = NIODeadline.now()
    private var channel: (any Channel)?
    private var connecting = false
    private var inFlight = false
    private var result: Result

    private init(loop: any EventLoop, url: LoopbackURL, rate: Double, duration: Double, field: String,
                 connectTimeout: Double) {
        self.loop = loop
        self.url = url
        self.field = field
        interval = .nanoseconds(Int64(1e9 / rate))
        ticks = max(1, Int((rate * duration).rounded()))
        self.connectTimeout = .nanoseconds(Int64(connectTimeout * 1e9))
        done = loop.makePromise()
        result = Result(url: url.description, rate: rate, seconds: duration)
    }

    /// Publishes `rate` times a second for `duration` seconds and returns what happened.
    static func run(url: LoopbackURL, rate: Double, duration: Double, field: String,
                    connectTimeout: Double) async throws -> Result {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let publisher = Publisher(loop: group.next(), url: url, rate: rate, duration: duration, field: field,
                                  connectTimeout: connectTimeout)
        publisher.loop.execute { publisher.begin() }
        try? await publisher.done.futureResult.get()
        let result = try await publisher.loop.submit { publisher.result }.get()
        try? await group.shutdownGracefully()
        return result
    }

    private func begin() {
        start = .now()
        schedule(0)
    }

    private func schedule(_ tick: Int) {
        guard tick < ticks else {
            // The last tick's period ends the run; its answer may take 2 s more.
            let end = start + interval * Int64(ticks)
            loop.scheduleTask(deadline: end) { [self] in finish(waitingUntil: end + .seconds(2)) }
            return
        }
        loop.scheduleTask(deadline: start + interval * Int64(tick)) { [self] in
            fire()
            schedule(tick + 1)
        }
    }

    private func fire() {
        if inFlight || connecting {
            result.skipped += 1
        } else if let channel, channel.isActive {
            send(on: channel)
        } else {
            connect()
        }
    }

    private func connect() {
        connecting = true
        ClientBootstrap(group: loop)
            .connectTimeout(connectTimeout)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(PublishResponseHandler(publisher: self))
                }
            }
            .connect(to: url.address)
            .whenComplete { [self] outcome in
                connecting = false
                switch outcome {
                case .success(let channel):
                    self.channel = channel
                    send(on: channel)
                case .failure(let error):
                    result.errors[FailureReason.name(of: error), default: 0] += 1
                }
            }
    }

    private func send(on channel: any Channel) {
        inFlight = true
        result.sent += 1
        let body = "{\"\(field)\":\(WallClock.format(WallClock.now()))}"
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: url.path)
        head.headers.add(name: "Host", value: url.hostHeader)
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(body.utf8.count))
        head.headers.add(name: "User-Agent", value: "beacon-bench")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: body))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    }

    /// A response ended (called by the handler, on the loop).
    func answered(status: HTTPResponseStatus) {
        inFlight = false
        result.statuses[String(status.code), default: 0] += 1
        if (200..<300).contains(status.code) { result.ok += 1 }
    }

    /// The connection failed or closed (called by the handler, on the loop).
    func lost(_ channel: any Channel, error: (any Error)?) {
        if let error { result.errors[FailureReason.name(of: error), default: 0] += 1 }
        guard self.channel === channel else { return }
        self.channel = nil
        if inFlight {
            inFlight = false
            result.errors["closed_before_answer", default: 0] += 1
        }
    }

    /// After the last tick: waits (bounded) for the last answer, then closes.
    private func finish(waitingUntil deadline: NIODeadline) {
        if inFlight, NIODeadline.now() < deadline {
            loop.scheduleTask(in: .milliseconds(10)) { [self] in finish(waitingUntil: deadline) }
            return
        }
        result.seconds = Double((NIODeadline.now() - start).nanoseconds) / 1e9
        channel?.close(promise: nil)
        channel = nil
        done.succeed()
    }
}
