import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

@testable import BeaconHTTP

/// `/badge/NAME.svg`: valid SVG, names escaped, widths from the text.
@Suite struct BadgeTests {
    private func attribute(_ element: XMLElement, _ name: String) -> String? {
        element.attributes?.first { $0.name == name }?.stringValue
    }

    @Test(arguments: [("ok", "#4c1"), ("warning", "#dfb317"), ("critical", "#e05d44"), ("unknown", "#9f9f9f"), (nil, "#9f9f9f")])
    func aBadgeIsSVGWithTheLevelsColor(level: String?, color: String) throws {
        let svg = Badge.svg(name: "web", level: level)
        let document = try XMLDocument(xmlString: svg)
        let root = try #require(document.rootElement())
        #expect(root.name == "svg")
        let title = try #require(root.elements(forName: "title").first)
        #expect(title.stringValue == "web: \(level ?? "none")")
        #expect(svg.contains("fill=\"\(color)\""))
    }

    @Test func namesAreEscapedAndReadBackAsTheyWere() throws {
        let name = #"a<b>&"c'd"#
        let svg = Badge.svg(name: name, level: "ok")
        #expect(!svg.contains("a<b"))
        let document = try XMLDocument(xmlString: svg)
        let root = try #require(document.rootElement())
        #expect(root.elements(forName: "title").first?.stringValue == "\(name): ok")
        #expect(attribute(root, "aria-label") == "\(name): ok")
    }

    @Test func longerTextMakesAWiderBadge() throws {
        func width(_ name: String) throws -> Int {
            let root = try #require(try XMLDocument(xmlString: Badge.svg(name: name, level: "ok")).rootElement())
            return Int(attribute(root, "width") ?? "") ?? 0
        }
        #expect(try width("db") < width("database-primary"))
        #expect(try width("db") == Badge.textWidth("db") + Badge.textWidth("ok") + 20)
    }
}
