import NIOCore
import Testing

@testable import EventHub

@Suite("SSE framing")
struct SSEEncoderTests {
    private func framed(_ data: String, event: String = "status", id: UInt64 = 42) -> SSEFrame {
        var prepared = SSEEncoder.prepare(event: event, data: Array(data.utf8))
        return SSEEncoder.finish(&prepared, id: id)
    }

    /// Checks `<hex len>\r\n<payload>\r\n` byte by byte and returns the payload.
    private func unchunk(_ frame: SSEFrame) throws -> String {
        let bytes = Array(frame.chunk.readableBytesView)
        let headerEnd = try #require(bytes.firstIndex(of: 13))
        #expect(bytes[headerEnd + 1] == 10)
        let length = try #require(Int(String(decoding: bytes[..<headerEnd], as: UTF8.self), radix: 16))
        #expect(bytes.count == headerEnd + 2 + length + 2)
        #expect(bytes.suffix(2) == [13, 10])
        let payload = Array(bytes[(headerEnd + 2)..<(bytes.count - 2)])
        #expect(Array(frame.payload.readableBytesView) == payload)
        return String(decoding: payload, as: UTF8.self)
    }

    @Test(arguments: [
        ("{\"a\":1}", "data: {\"a\":1}\n"),
        ("a\nb", "data: a\ndata: b\n"),
        ("a\r\nb", "data: a\ndata: b\n"),
        ("a\rb", "data: a\ndata: b\n"),
        ("a\r\r\nb\n", "data: a\ndata: \ndata: b\ndata: \n"),
        (":not a comment", "data: :not a comment\n"),
        (" leading space", "data:  leading space\n"),
        ("", "data: \n"),
    ])
    func dataLinesRebuildThePayload(data: String, lines: String) throws {
        let payload = try self.unchunk(self.framed(data))
        #expect(payload == "id: 42\nevent: status\n" + lines + "\n")
        #expect(!payload.utf8.contains(13))
    }

    /// Data made only of line breaks and short lines is the most a prepared buffer grows per input
    /// byte: every mix must fit the size framing computes beforehand and rebuild the same lines.
    @Test func anyMixOfLineBreaksRebuildsTheLines() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x61, 0x0A, 0x0D]
        for length in [1, 2, 3, 7, 64, 500] {
            for _ in 0..<50 {
                let data = (0..<length).map { _ in alphabet.randomElement(using: &generator) ?? 0x61 }
                let text = String(decoding: data, as: UTF8.self)
                // The reference: CRLF, CR and LF each end one line.
                var expected = "data: "
                var index = 0
                while index < data.count {
                    switch data[index] {
                    case 0x0D where index + 1 < data.count && data[index + 1] == 0x0A:
                        expected += "\ndata: "
                        index += 1
                    case 0x0A, 0x0D: expected += "\ndata: "
                    default: expected += "a"
                    }
                    index += 1
                }
                expected += "\n"
                let payload = try self.unchunk(self.framed(text, event: "e\r\n"))
                #expect(payload == "id: 42\nevent: e\n" + expected + "\n", "data \(data)")
            }
        }
    }

    @Test(arguments: [UInt64(0), 9, 10, 1_700_000_000_000_000, UInt64.max])
    func idDigitsAndChunkLength(id: UInt64) throws {
        let payload = try self.unchunk(self.framed("x", id: id))
        #expect(payload == "id: \(id)\nevent: status\ndata: x\n\n")
    }

    @Test func longPayloadHasCorrectHexLength() throws {
        let data = String(repeating: "y", count: 70_000)
        let payload = try self.unchunk(self.framed(data))
        #expect(payload.utf8.count == "id: 42\nevent: status\ndata: \n\n".utf8.count + 70_000)
    }

    @Test func eventNameCannotBreakFraming() throws {
        let payload = try self.unchunk(self.framed("x", event: "bad\r\nid: 7"))
        #expect(payload == "id: 42\nevent: badid: 7\ndata: x\n\n")
    }

    @Test func doneRetryHeartbeatAndTerminator() throws {
        let done = EventHub.doneFrame(stream: "p\"q\nr", reason: .removed)
        #expect(try self.unchunk(done) == "event: done\ndata: {\"plugin\":\"p\\\"q\\nr\",\"reason\":\"removed\"}\n\n")
        #expect(try self.unchunk(SSEFrame(sse: "retry: 3000\n\n")) == "retry: 3000\n\n")
        #expect(try self.unchunk(SSEFrame.heartbeat) == ": keep-alive\n\n")
        #expect(String(buffer: SSEFrame.terminator) == "0\r\n\r\n")
    }

    @Test func oneBufferSharedNotCopied() throws {
        let hub = EventHub(configuration: EventHubConfiguration(), idBase: 1)
        hub.addStream("a")
        hub.publish(stream: "a", event: "e", json: Array("1".utf8))
        let (history, latest) = try #require(hub.registry.withLockedValue { registry in
            registry.streams["a"].map { ($0.history.first, $0.latest) }
        })
        let first = try #require(history?.frame.chunk)
        let second = try #require(latest?.frame.chunk)
        first.withUnsafeReadableBytes { a in
            second.withUnsafeReadableBytes { b in #expect(a.baseAddress == b.baseAddress) }
        }
    }

    @Test func jsonQuoting() {
        #expect(JSONText.quoted("a\u{1}b\u{2028}\\") == "\"a\\u0001b\\u2028\\\\\"")
    }
}
