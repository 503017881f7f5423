/// `GET /badge/NAME.svg`: a flat badge in the style of shields.io, the plugin's name on grey and
/// its level on the level's color. Widths come from the text's length.
enum Badge {
    /// The SVG document for plugin `name` at `level` (nil: no level, shown as `none`).
    static func svg(name: String, level: String?) -> String {
        let value = level ?? "none"
        let labelWidth = textWidth(name) + 10
        let valueWidth = textWidth(value) + 10
        let width = labelWidth + valueWidth
        let label = escaped(name)
        let shown = escaped(value)
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="20" role="img" aria-label="\(label): \(shown)">\
            <title>\(label): \(shown)</title>\
            <linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>\
            <clipPath id="r"><rect width="\(width)" height="20" rx="3" fill="#fff"/></clipPath>\
            <g clip-path="url(#r)"><rect width="\(labelWidth)" height="20" fill="#555"/>\
            <rect x="\(labelWidth)" width="\(valueWidth)" height="20" fill="\(color(level))"/>\
            <rect width="\(width)" height="20" fill="url(#s)"/></g>\
            <g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">\
            <text x="\(labelWidth / 2)" y="15" fill="#010101" fill-opacity=".3">\(label)</text>\
            <text x="\(labelWidth / 2)" y="14">\(label)</text>\
            <text x="\(labelWidth + valueWidth / 2)" y="15" fill="#010101" fill-opacity=".3">\(shown)</text>\
            <text x="\(labelWidth + valueWidth / 2)" y="14">\(shown)</text></g></svg>
            """
    }

    /// shields.io's colors: brightgreen, yellow, red; lightgrey for unknown and for none.
    static func color(_ level: String?) -> String {
        switch level {
        case "ok": "#4c1"
        case "warning": "#dfb317"
        case "critical": "#e05d44"
        default: "#9f9f9f"
        }
    }

    /// About how wide `text` is in 11 px Verdana, in whole pixels.
    static func textWidth(_ text: String) -> Int {
        var width = 0.0
        for character in text {
            switch character {
            case "i", "j", "l", "t", "f", "r", "I", ".", ",", ":", ";", "'", "!", "|": width += 4
            case "m", "w", "M", "W", "@": width += 10.5
            case "A"..."Z": width += 8
            case "-", "_": width += 6
            default: width += 7
            }
        }
        return Int(width.rounded(.up))
    }

    /// `text` with `&`, `<`, `>`, `"` and `'` as XML entities.
    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
