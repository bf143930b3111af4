/// What a page marks on a diagram: extra classes on element shapes (`token`, `done`,
/// `incident`; styled by the diagram's own CSS) and count badges at their top-right corner
/// (tokens waiting, incidents open).
public struct DiagramOverlay: Sendable {
    public struct Badge: Sendable, Hashable {
        /// `tokens` or `incidents` (the badge's colour).
        public var kind: String
        public var count: Int

        public init(kind: String, count: Int) {
            self.kind = kind
            self.count = count
        }
    }

    /// Classes added to an element's shape group, by element id.
    public var classes: [String: [String]] = [:]
    public var badges: [String: [Badge]] = [:]

    public init(classes: [String: [String]] = [:], badges: [String: [Badge]] = [:]) {
        self.classes = classes
        self.badges = badges
    }

    static func draw(_ badges: [Badge], at bounds: BPMNBounds) -> String {
        var out = ""
        for (index, badge) in badges.enumerated() where badge.count > 0 {
            let x = bounds.x + bounds.width - Double(index) * 24, y = bounds.y
            out += "<g class=\"badge \(SVGText.escaped(badge.kind))\"><circle cx=\"\(SVGText.number(x))\" cy=\"\(SVGText.number(y))\" r=\"11\"/>"
                + "<text x=\"\(SVGText.number(x))\" y=\"\(SVGText.number(y))\" text-anchor=\"middle\" dominant-baseline=\"central\">\(badge.count)</text></g>"
        }
        return out
    }
}
