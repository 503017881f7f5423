/// A streaming Server-Sent Events parser: bytes go in split anywhere, events come out at each
/// blank line.
///
/// Follows the event-stream rules of the HTML standard: lines end in `\n`, `\r\n` or `\r` (also
/// when the `\r` and `\n` arrive in different reads); fields `data`, `event`, `id` and `retry`
/// (ignored); lines starting with `:` are comments; a blank line dispatches the event when it has
/// data, which is then every `data` line joined by `\n`.
struct SSEParser {
    /// One dispatched event. The arrays are the parser's own buffers: read them during the call.
    struct Event {
        /// The `event:` name, empty when the event had none (a `message` event).
        var name: [UInt8]
        /// The `id:` of this event, when it had an `id` line.
        var id: [UInt8]?
        /// The data lines joined by `\n`.
        var data: [UInt8]
    }

    /// The longest line or event data kept; a stream that exceeds it stops being parsed.
    static let maximumBytes = 1 << 20

    /// Whether a line or an event went over ``maximumBytes`` (the rest of the stream is ignored).
    private(set) var overflowed = false

    private var pending: [UInt8] = []  // the start of a line that continues in the next read
    private var afterCR = false  // the last byte was `\r`: a `\n` right after it ends nothing
    private var name: [UInt8] = []
    private var id: [UInt8] = []
    private var hasID = false
    private var data: [UInt8] = []

    private static let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r"), colon = UInt8(ascii: ":")
    private static let space = UInt8(ascii: " ")

    init() {
        pending.reserveCapacity(256)
        data.reserveCapacity(256)
    }

    /// Parses `bytes`, calling `onEvent` for each complete event and `onComment` for each comment.
    mutating func feed(
        _ bytes: UnsafeRawBufferPointer, onEvent: (Event) -> Void, onComment: () -> Void
    ) {
        guard !overflowed else { return }
        var start = 0, index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if afterCR {
                afterCR = false
                if byte == Self.lf {
                    index += 1
                    start = index
                    continue
                }
            }
            guard byte == Self.lf || byte == Self.cr else {
                index += 1
                continue
            }
            afterCR = byte == Self.cr
            let line = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
            if pending.isEmpty {
                process(line, onEvent: onEvent, onComment: onComment)
            } else {
                pending.append(contentsOf: line)
                let whole = pending
                pending.removeAll(keepingCapacity: true)
                whole.withUnsafeBytes { process($0, onEvent: onEvent, onComment: onComment) }
            }
            if overflowed { return }
            index += 1
            start = index
        }
        if start < count {
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<count]))
            if pending.count > Self.maximumBytes { overflowed = true }
        }
    }

    private mutating func process(
        _ line: UnsafeRawBufferPointer, onEvent: (Event) -> Void, onComment: () -> Void
    ) {
        guard let first = line.first else {
            dispatch(onEvent)
            return
        }
        if first == Self.colon {
            onComment()
            return
        }
        let colon = line.firstIndex(of: Self.colon) ?? line.count
        let field = UnsafeRawBufferPointer(rebasing: line[..<colon])
        var valueStart = min(colon + 1, line.count)
        if valueStart < line.count, line[valueStart] == Self.space { valueStart += 1 }
        let value = UnsafeRawBufferPointer(rebasing: line[valueStart...])
        if field.elementsEqual("data".utf8) {
            data.append(contentsOf: value)
            data.append(Self.lf)
            if data.count > Self.maximumBytes { overflowed = true }
        } else if field.elementsEqual("event".utf8) {
            name.removeAll(keepingCapacity: true)
            name.append(contentsOf: value)
        } else if field.elementsEqual("id".utf8), !value.contains(0) {
            id.removeAll(keepingCapacity: true)
            id.append(contentsOf: value)
            hasID = true
        }
    }

    private mutating func dispatch(_ onEvent: (Event) -> Void) {
        defer {
            name.removeAll(keepingCapacity: true)
            data.removeAll(keepingCapacity: true)
            hasID = false
        }
        guard !data.isEmpty else { return }
        data.removeLast()
        onEvent(Event(name: name, id: hasID ? id : nil, data: data))
    }
}
