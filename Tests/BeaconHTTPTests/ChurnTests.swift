#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing

@testable import BeaconHTTP
@testable import EventHub

@Suite("Connection churn")
struct ChurnTests {
    /// Open file descriptors of this process (entries of /proc/self/fd); nil where there is none.
    static func openDescriptors() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [0x2E] && name != [0x2E, 0x2E] { count += 1 }
        }
        return count - 1  // the directory stream's own descriptor
    }

    /// 2,000 clients connect and leave in every way (stream read then closed, stream closed
    /// before its answer, multiplexed stream, keep-alive status request, half a request) while
    /// events flow. Afterwards the hub has no subscriber, the server no connection, and the
    /// process no more descriptors than before, give or take what parallel tests hold.
    @Test func twoThousandConnectDisconnectCyclesReturnToBaseline() async throws {
        let server = try await TestServer.start(hub: EventHubConfiguration(heartbeatSeconds: 0.05))
        // Warm-up: the fan-outs of both loops and their ticks exist from here on.
        for _ in 0..<20 {
            let client = try server.client()
            try client.request("GET", "/events")
            #expect(client.read { RawResponse($0)?.chunks.count == 1 })
            client.close()
        }
        #expect(await TestServer.eventually { server.hub.subscriberCount == 0 && server.server.openConnections == 0 })
        let baseline = try #require(Self.openDescriptors())

        let cycles = 2000
        var completed = 0
        var answered = 0
        let start = RawClient.now()
        while completed < cycles, RawClient.now() - start < 120 {
            let client = try server.client()
            switch completed % 5 {
            case 0:
                try client.request("GET", "/events/a")
                if client.read(timeout: 5, until: { RawResponse($0)?.chunks.isEmpty == false }) { answered += 1 }
            case 1:
                try client.request("GET", "/events/b")  // and gone before the answer
                answered += 1
            case 2:
                try client.request("GET", "/events?plugin=a&plugin=b")
                if client.read(timeout: 5, until: { RawResponse($0)?.chunks.isEmpty == false }) { answered += 1 }
            case 3:
                try client.request("GET", "/healthz")
                if client.read(timeout: 5, until: { RawResponse($0)?.bodyText.hasSuffix("}") == true }) { answered += 1 }
            default:
                try client.send("GET /events/a HTTP/1.1\r\nHo")
                answered += 1
            }
            client.close()
            completed += 1
            if completed % 100 == 0 { server.publish(completed % 200 == 0 ? "a" : "b", completed) }
        }
        #expect(completed == cycles)
        #expect(answered == cycles)
        #expect(await TestServer.eventually(timeout: 15) { server.hub.subscriberCount == 0 })
        #expect(await TestServer.eventually(timeout: 15) { server.server.openConnections == 0 })
        let settled = await TestServer.eventually(timeout: 15) { (Self.openDescriptors() ?? .max) <= baseline + 200 }
        #expect(settled, "descriptors: \(baseline) before, \(Self.openDescriptors() ?? -1) after")
        #expect(try await server.hub.pendingCounts() == [])
        try await server.stop()
    }
}
