/// One dispatched SSE message (or a comment / retry line, kept for assertions).
struct SSEMessage: Equatable {
    var id: String?
    var event: String
    var data: String
}

/// A WHATWG-conforming event-stream parser (https://html.spec.whatwg.org/#event-stream-interpretation),
/// plus the comments and `retry:` values it saw, so tests check what a browser would get.
enum SSEParser {
    struct Result {
        var messages: [SSEMessage] = []
        var comments: [String] = []
        var retries: [Int] = []
        /// Every field line or comment, in order: `retry`, `comment`, `message`.
        var order: [String] = []
    }

    static func parse(_ bytes: [UInt8]) -> [SSEMessage] { parseAll(bytes).messages }

    static func parseAll(_ bytes: [UInt8]) -> Result {
        var result = Result()
        var data = ""
        var hasData = false
        var eventType = ""
        var lastId: String?
        let text = String(decoding: bytes, as: UTF8.self)
        // Only complete lines: a trailing partial line is not yet a line.
        var lines: [Substring] = []
        var current = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "\n" || character == "\r" || character == "\r\n" {
                lines.append(text[current..<index])
                index = text.index(after: index)
                current = index
            } else {
                index = text.index(after: index)
            }
        }
        for line in lines {
            if line.isEmpty {
                if hasData {
                    if data.hasSuffix("\n") { data.removeLast() }
                    result.messages.append(SSEMessage(id: lastId, event: eventType.isEmpty ? "message" : eventType, data: data))
                    result.order.append("message")
                }
                data = ""
                hasData = false
                eventType = ""
                continue
            }
            if line.first == ":" {
                result.comments.append(String(line.dropFirst()))
                result.order.append("comment")
                continue
            }
            var field = line
            var value: Substring = ""
            if let colon = line.firstIndex(of: ":") {
                field = line[..<colon]
                value = line[line.index(after: colon)...]
                if value.first == " " { value = value.dropFirst() }
            }
            switch field {
            case "event": eventType = String(value)
            case "data":
                data += value + "\n"
                hasData = true
            case "id":
                if !value.contains("\0") {
                    lastId = String(value)
                }
            case "retry":
                if let retry = Int(value) {
                    result.retries.append(retry)
                    result.order.append("retry")
                }
            default: break
            }
        }
        return result
    }
}
