public import NIOCore

/// The bytes of one SSE message, framed once as one HTTP/1.1 chunk (`<hex len>\r\n<sse>\r\n`)
/// and then shared, copy-on-write and never copied, by every subscriber.
public struct SSEFrame: Sendable {
    /// The whole chunk, as written to a chunked (HTTP/1.1) response.
    public let chunk: ByteBuffer
    /// Length of the `<hex len>\r\n` chunk header at the start of ``chunk``.
    let headerLength: Int

    init(chunk: ByteBuffer, headerLength: Int) {
        self.chunk = chunk
        self.headerLength = headerLength
    }

    /// Frames raw SSE bytes as one chunk.
    package init(sse: String) {
        var buffer = ByteBuffer()
        let length = sse.utf8.count
        buffer.reserveCapacity(length + 20)
        SSEFrame.writeHex(length, to: &buffer)
        buffer.writeStaticString("\r\n")
        buffer.writeString(sse)
        buffer.writeStaticString("\r\n")
        self.init(chunk: buffer, headerLength: SSEFrame.hexDigitCount(length) + 2)
    }

    /// The SSE bytes alone, without chunk framing (a slice: no copy), for HTTP/1.0 peers.
    package var payload: ByteBuffer {
        let length = self.chunk.readableBytes - self.headerLength - 2
        return self.chunk.getSlice(at: self.chunk.readerIndex + self.headerLength, length: length) ?? self.chunk
    }

    /// The chunk that ends a chunked response.
    package static let terminator: ByteBuffer = ByteBuffer(staticString: "0\r\n\r\n")

    /// The comment sent on every stream each heartbeat interval.
    package static let heartbeat = SSEFrame(sse: ": keep-alive\n\n")

    static func hexDigitCount(_ value: Int) -> Int {
        var count = 1
        var rest = value >> 4
        while rest > 0 {
            count += 1
            rest >>= 4
        }
        return count
    }

    static func decimalDigitCount(_ value: UInt64) -> Int {
        var count = 1
        var rest = value / 10
        while rest > 0 {
            count += 1
            rest /= 10
        }
        return count
    }

    static func writeHex(_ value: Int, to buffer: inout ByteBuffer) {
        let digits = hexDigitCount(value)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: digits) { bytes in
            var writer = ByteWriter(bytes)
            writer.putHex(value, digits: digits)
            return writer.position
        }
    }
}
