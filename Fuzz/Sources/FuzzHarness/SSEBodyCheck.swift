/// The body of an event stream, line by line, as the WHATWG parser would read it: only
/// `retry:`, `id:`, `event:`, `data:` and comment lines; every event's data is JSON; ids rise.
enum SSEBodyCheck {
    static func check(_ body: [UInt8]) throws(FuzzViolation) {
        guard !body.contains(0x0D) else { throw FuzzViolation("a carriage return in an event stream") }
        guard body.isEmpty || body.last == 0x0A else { throw FuzzViolation("event stream ends inside a line") }
        var data: [[UInt8]] = []
        var lastID: UInt64 = 0
        guard body.isEmpty || body.starts(with: Array("retry: ".utf8)) else {
            throw FuzzViolation("event stream does not start with retry:")
        }
        for line in body.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast() {
            let text = String(decoding: line, as: UTF8.self)
            if line.isEmpty {
                if !data.isEmpty {
                    let joined = Array(data.joined(separator: [0x0A]))
                    guard JSONCheck.isValid(joined) else {
                        throw FuzzViolation("event data is not JSON: \(ResponseScanner.show(joined[...]))")
                    }
                }
                data = []
            } else if text.hasPrefix(":") {
                continue
            } else if text.hasPrefix("retry: "), UInt64(text.dropFirst(7)) != nil {
                continue
            } else if text.hasPrefix("id: "), let id = UInt64(text.dropFirst(4)) {
                guard id > lastID else { throw FuzzViolation("event id \(id) after \(lastID)") }
                lastID = id
            } else if text.hasPrefix("event: "), text.count > 7 {
                continue
            } else if text.hasPrefix("data: ") {
                data.append(Array(line.dropFirst(6)))
            } else {
                throw FuzzViolation("unexpected event-stream line \(String(reflecting: text))")
            }
        }
    }
}
