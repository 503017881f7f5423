import AsyncHTTPClient
import LuaKit
import NIOCore
import NIOSSL

/// `beacon.http.get` and `beacon.http.request`: one HTTP exchange on the shared client, answered
/// from the request's future, bounded by its timeout and the run's deadline.
struct HTTPCheck: Sendable {
    var configuration: PluginAPIConfiguration

    /// `beacon.http.get(url [, opts])`.
    func get(_ call: LuaHostCall) throws(HostArgumentError) -> LuaHostResult {
        perform(try HTTPRequestSpec.get(call.arguments), run: call.deadline)
    }

    /// `beacon.http.request{method=, url=, ...}`.
    func request(_ call: LuaHostCall) throws(HostArgumentError) -> LuaHostResult {
        perform(try HTTPRequestSpec.request(call.arguments), run: call.deadline)
    }

    /// `{status=, headers=, body=, ms=, url=}` or `nil, "message"`.
    private func perform(_ spec: HTTPRequestSpec, run: LuaDeadline) -> LuaHostResult {
        let budget = CallBudget(requested: spec.timeout, fallback: configuration.defaultHTTPTimeout, run: run)
        if let problem = spec.urlProblem { return .values(failure(problem)) }
        guard !budget.isExpired else { return .values(failure(budget.timedOutMessage)) }
        var tlsConfiguration: TLSConfiguration?
        if let tls = spec.tls {
            switch tls.configuration() {
            case .success(let configuration): tlsConfiguration = configuration
            case .failure(let problem): return .values(failure(problem.message))
            }
        }
        var headers = spec.headers
        if !headers.contains(where: { $0.0.lowercased() == "user-agent" }) { headers.append(("User-Agent", "beacon")) }
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(
                url: spec.url, method: .init(rawValue: spec.method), headers: .init(headers),
                body: spec.body.map { .bytes($0) }, tlsConfiguration: tlsConfiguration)
        } catch {
            return .values(failure("bad URL '\(spec.url)': \(Self.describe(urlError: error))"))
        }

        let runtime = NetworkRuntime.shared(for: configuration)
        let client = spec.followRedirects ? runtime.following : runtime.direct
        let start = LuaDeadline.now()
        // The deadline covers the whole exchange, the wait for a free connection included.
        let task = client.execute(
            request: request,
            // AsyncHTTPClient traps on a cap outside 0...UInt32.max: keep it in range.
            delegate: ResponseAccumulator(
                request: request, maxBodySize: min(max(0, configuration.maxBodyBytes), Int(UInt32.max))),
            deadline: .now() + .nanoseconds(budget.remainingNanoseconds)
        )
        let pending = LuaPendingCall()
        let url = spec.url
        task.futureResult.whenComplete { result in
            switch result {
            case .success(let response):
                pending.succeed([Self.table(response, ms: millisecondsSince(start), url: url)])
            case .failure(let error as ResponseAccumulator.ResponseTooBigError):
                pending.succeed(failure("response body larger than \(error.maxBodySize) bytes"))
            case .failure(let error):
                let message = NetworkFailure.message(for: error, host: request.host, port: request.port, budget: budget)
                pending.succeed(failure(message))
            }
        }
        pending.onCancel { task.cancel() }
        return .pending(pending)
    }

    /// The Lua table of a response; header names lower-cased, repeated headers joined by ", ".
    private static func table(_ response: HTTPClient.Response, ms: Double, url: String) -> LuaValue {
        var names: [String] = []
        var values: [String: String] = [:]
        for (name, value) in response.headers {
            let key = name.lowercased()
            if let previous = values[key] {
                values[key] = previous + ", " + value
            } else {
                names.append(key)
                values[key] = value
            }
        }
        let headers = names.map { LuaField(key: $0, value: .string(values[$0] ?? "")) }
        let body = response.body.map { Array($0.readableBytesView) } ?? []
        let finalURL = response.history.last?.request.url.absoluteString ?? url
        return .record([
            "status": .integer(Int64(response.status.code)),
            "headers": .table(array: [], fields: headers),
            "body": .luaString(body),
            "ms": .number(ms),
            "url": .string(finalURL),
        ])
    }

    private static func describe(urlError error: any Error) -> String {
        guard let error = error as? HTTPClientError else { return "\(error)" }
        switch error {
        case .invalidURL: return "cannot parse it"
        case .emptyHost: return "no host"
        case .emptyScheme: return "no scheme"
        default: return "\(error)"
        }
    }
}
