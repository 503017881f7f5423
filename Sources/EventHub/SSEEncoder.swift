public import NIOCore

/// Encodes published events in two steps: ``prepare(event:data:)`` builds everything but the id
/// outside the hub's lock; ``finish(_:id:)`` writes the chunk header and `id:` line in front of it
/// under the lock, in place (no allocation, no copy), once the id is known.
public enum SSEEncoder {
    /// Room left in front of a prepared event: 16 hex digits + CRLF + `id: ` + 20 digits + LF.
    static let reserve = 48

    /// `event: NAME\n`, one `data:` line per line of `data`, a blank line, then the chunk's CRLF,
    /// after ``reserve`` spare bytes.
    public static func prepare(event: String, data: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(reserve + event.utf8.count + data.count + 32)
        buffer.writeRepeatingByte(0, count: reserve)
        buffer.writeStaticString("event: ")
        for byte in event.utf8 where byte != 0x0A && byte != 0x0D {
            buffer.writeInteger(byte)
        }
        buffer.writeStaticString("\n")
        appendDataLines(data, to: &buffer)
        buffer.writeStaticString("\n\r\n")
        return buffer
    }

    /// Completes a prepared event with its id; the result is the finished chunk.
    public static func finish(_ buffer: inout ByteBuffer, id: UInt64) -> SSEFrame {
        let idDigits = SSEFrame.decimalDigitCount(id)
        let idLine = 4 + idDigits + 1
        let sseLength = idLine + buffer.writerIndex - reserve - 2
        let hexDigits = SSEFrame.hexDigitCount(sseLength)
        let start = reserve - idLine - hexDigits - 2
        SSEFrame.setHex(sseLength, digits: hexDigits, at: start, in: &buffer)
        var index = start + hexDigits
        _ = buffer.setStaticString("\r\nid: ", at: index)
        index += 6
        SSEFrame.setDecimal(id, digits: idDigits, at: index, in: &buffer)
        buffer.setInteger(UInt8(0x0A), at: index + idDigits)
        buffer.moveReaderIndex(to: start)
        return SSEFrame(chunk: buffer, headerLength: hexDigits + 2)
    }

    /// Splits `data` at `\n`, `\r\n` and lone `\r`, writing each line as `data: LINE\n`, so a
    /// WHATWG parser rebuilds exactly `data` (with `\n` for every line break) and no CR is sent.
    static func appendDataLines(_ data: [UInt8], to buffer: inout ByteBuffer) {
        data.withUnsafeBufferPointer { bytes in
            var start = 0
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 0x0A || byte == 0x0D {
                    buffer.writeStaticString("data: ")
                    buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start..<index])))
                    buffer.writeStaticString("\n")
                    if byte == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A {
                        index += 1
                    }
                    index += 1
                    start = index
                } else {
                    index += 1
                }
            }
            buffer.writeStaticString("data: ")
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start..<bytes.count])))
            buffer.writeStaticString("\n")
        }
    }

    /// A complete id-less event, e.g. `done`.
    static func frame(event: String, data: [UInt8]) -> SSEFrame {
        var buffer = prepare(event: event, data: data)
        let sseLength = buffer.writerIndex - reserve - 2
        let hexDigits = SSEFrame.hexDigitCount(sseLength)
        let start = reserve - hexDigits - 2
        SSEFrame.setHex(sseLength, digits: hexDigits, at: start, in: &buffer)
        _ = buffer.setStaticString("\r\n", at: start + hexDigits)
        buffer.moveReaderIndex(to: start)
        return SSEFrame(chunk: buffer, headerLength: hexDigits + 2)
    }
}
