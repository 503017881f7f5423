public import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Encodes published events in two steps: ``prepare(event:data:)`` builds everything but the id
/// outside the hub's lock; ``finish(_:id:)`` writes the chunk header and `id:` line in front of it
/// under the lock, in place (no allocation, no copy), once the id is known. Both write through
/// one pointer into memory sized beforehand.
public enum SSEEncoder {
    /// Room left in front of a prepared event: 16 hex digits + CRLF + `id: ` + 20 digits + LF.
    static let reserve = 48

    /// `event: NAME\n`, one `data:` line per line of `data`, a blank line, then the chunk's CRLF,
    /// after ``reserve`` spare bytes.
    public static func prepare(event: String, data: [UInt8]) -> ByteBuffer {
        data.withUnsafeBufferPointer { data in
            let lineBreaks = countLineBreaks(data)
            // An upper bound: a CRLF counts twice but starts one line.
            let size = reserve + 7 + event.utf8.count + 1 + 7 * (lineBreaks + 1) + data.count + 3
            var buffer = ByteBuffer()
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { bytes in
                var writer = ByteWriter(bytes)
                writer.zeros(reserve)
                writer.put("event: ")
                for byte in event.utf8 where byte != 0x0A && byte != 0x0D {
                    writer.put(byte)
                }
                writer.put(0x0A)
                if lineBreaks == 0 {
                    writer.put("data: ")
                    writer.put(UnsafeRawBufferPointer(data))
                    writer.put(0x0A)
                } else {
                    writeDataLines(data, to: &writer)
                }
                writer.put("\n\r\n")
                return writer.position
            }
            return buffer
        }
    }

    /// Completes a prepared event with its id; the result is the finished chunk.
    public static func finish(_ buffer: inout ByteBuffer, id: UInt64) -> SSEFrame {
        let idDigits = SSEFrame.decimalDigitCount(id)
        let idLine = 4 + idDigits + 1
        let sseLength = idLine + buffer.writerIndex - reserve - 2
        let hexDigits = SSEFrame.hexDigitCount(sseLength)
        let start = reserve - idLine - hexDigits - 2
        // A prepared buffer is read from 0, so the spare bytes in front are readable.
        buffer.withUnsafeMutableReadableBytes { bytes in
            var writer = ByteWriter(bytes, at: start)
            writer.putHex(sseLength, digits: hexDigits)
            writer.put("\r\nid: ")
            writer.putDecimal(id, digits: idDigits)
            writer.put(0x0A)
        }
        buffer.moveReaderIndex(to: start)
        return SSEFrame(chunk: buffer, headerLength: hexDigits + 2)
    }

    /// CRs and LFs in `data`. JSON text has none (its strings escape them), so the usual answer
    /// comes from two `memchr` scans rather than a loop over every byte.
    static func countLineBreaks(_ data: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = data.baseAddress,
            memchr(base, 0x0A, data.count) != nil || memchr(base, 0x0D, data.count) != nil
        else { return 0 }
        var count = 0
        for byte in data where byte == 0x0A || byte == 0x0D { count += 1 }
        return count
    }

    /// Splits `data` at `\n`, `\r\n` and lone `\r`, writing each line as `data: LINE\n`, so a
    /// WHATWG parser rebuilds exactly `data` (with `\n` for every line break) and no CR is sent.
    static func writeDataLines(_ data: UnsafeBufferPointer<UInt8>, to writer: inout ByteWriter) {
        var start = 0
        var index = 0
        while index < data.count {
            let byte = data[index]
            if byte == 0x0A || byte == 0x0D {
                writer.put("data: ")
                writer.put(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: data[start..<index])))
                writer.put(0x0A)
                if byte == 0x0D, index + 1 < data.count, data[index + 1] == 0x0A {
                    index += 1
                }
                index += 1
                start = index
            } else {
                index += 1
            }
        }
        writer.put("data: ")
        writer.put(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: data[start..<data.count])))
        writer.put(0x0A)
    }

    /// A complete id-less event, e.g. `done`.
    static func frame(event: String, data: [UInt8]) -> SSEFrame {
        var buffer = prepare(event: event, data: data)
        let sseLength = buffer.writerIndex - reserve - 2
        let hexDigits = SSEFrame.hexDigitCount(sseLength)
        let start = reserve - hexDigits - 2
        buffer.withUnsafeMutableReadableBytes { bytes in
            var writer = ByteWriter(bytes, at: start)
            writer.putHex(sseLength, digits: hexDigits)
            writer.put("\r\n")
        }
        buffer.moveReaderIndex(to: start)
        return SSEFrame(chunk: buffer, headerLength: hexDigits + 2)
    }
}
