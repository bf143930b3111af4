#if canImport(Glibc)
import Glibc
#endif

/// The symbols inside shapes: event definitions, gateway kinds, task types and activity
/// markers. Each is a `<g class="marker KIND">` so a test or a page can tell them apart.
enum DiagramMarkers {
    typealias N = SVGText

    private static func group(_ kind: String, _ body: String) -> String {
        "<g class=\"marker \(kind)\">\(body)</g>"
    }

    private static func p(_ points: [(Double, Double)], close: Bool = false) -> String {
        guard let first = points.first else { return "" }
        return "M\(N.number(first.0)),\(N.number(first.1))" + points.dropFirst().map { " L\(N.number($0.0)),\(N.number($0.1))" }.joined() + (close ? " Z" : "")
    }

    /// The marker of an event's definition(s); several definitions make a pentagon
    /// (multiple).
    static func event(_ definitions: [BPMNEventDefinition], cx: Double, cy: Double, r: Double, filled: Bool) -> String {
        guard let definition = definitions.first else { return "" }
        let fill = filled ? "marker filled" : "marker"
        let s = r * 0.5
        if definitions.count > 1 {
            let points = (0..<5).map { index -> (Double, Double) in
                let angle = -Double.pi / 2 + Double(index) * 2 * Double.pi / 5
                return (cx + s * cos(angle), cy + s * sin(angle))
            }
            return group("multiple", DiagramShapes.path(p(points, close: true), className: fill))
        }
        switch definition {
        case .message:
            let w = s * 1.4, h = s
            let box = p([(cx - w / 2, cy - h / 2), (cx + w / 2, cy - h / 2), (cx + w / 2, cy + h / 2), (cx - w / 2, cy + h / 2)], close: true)
            let flap = p([(cx - w / 2, cy - h / 2), (cx, cy), (cx + w / 2, cy - h / 2)])
            return group("message", DiagramShapes.path(box, className: fill) + DiagramShapes.path(flap, className: filled ? "marker inverse" : "marker"))
        case .timer:
            let face = DiagramShapes.circle(cx, cy, s * 1.1, className: "marker")
            let hands = p([(cx, cy - s * 0.8), (cx, cy), (cx + s * 0.6, cy)])
            return group("timer", face + DiagramShapes.path(hands, className: "marker"))
        case .error:
            let bolt = p([(cx - s, cy + s), (cx - s * 0.3, cy - s * 0.7), (cx + s * 0.2, cy + s * 0.1), (cx + s, cy - s), (cx + s * 0.3, cy + s * 0.7), (cx - s * 0.2, cy - s * 0.1)], close: true)
            return group("error", DiagramShapes.path(bolt, className: fill))
        case .signal:
            return group("signal", DiagramShapes.path(p([(cx, cy - s), (cx + s, cy + s * 0.7), (cx - s, cy + s * 0.7)], close: true), className: fill))
        case .escalation:
            return group("escalation", DiagramShapes.path(p([(cx, cy - s), (cx + s * 0.7, cy + s), (cx, cy + s * 0.3), (cx - s * 0.7, cy + s)], close: true), className: fill))
        case .conditional:
            let sheet = p([(cx - s * 0.7, cy - s), (cx + s * 0.7, cy - s), (cx + s * 0.7, cy + s), (cx - s * 0.7, cy + s)], close: true)
            let lines = (0..<4).map { index -> String in
                let y = cy - s * 0.6 + Double(index) * s * 0.4
                return " M\(N.number(cx - s * 0.45)),\(N.number(y)) L\(N.number(cx + s * 0.45)),\(N.number(y))"
            }.joined()
            return group("conditional", DiagramShapes.path(sheet, className: "marker") + DiagramShapes.path(lines, className: "marker"))
        case .link:
            let arrow = p([(cx - s, cy - s * 0.35), (cx + s * 0.2, cy - s * 0.35), (cx + s * 0.2, cy - s * 0.8), (cx + s, cy), (cx + s * 0.2, cy + s * 0.8), (cx + s * 0.2, cy + s * 0.35), (cx - s, cy + s * 0.35)], close: true)
            return group("link", DiagramShapes.path(arrow, className: fill))
        case .terminate:
            return group("terminate", DiagramShapes.circle(cx, cy, r * 0.6, className: "marker filled"))
        case .cancel:
            let cross = p([(cx - s, cy - s), (cx + s, cy + s)]) + " " + p([(cx + s, cy - s), (cx - s, cy + s)])
            return group("cancel", "<path class=\"marker\" style=\"stroke-width:3\" d=\"\(cross)\"/>")
        case .compensate:
            let left = p([(cx - s, cy), (cx, cy - s * 0.6), (cx, cy + s * 0.6)], close: true)
            let right = p([(cx, cy), (cx + s, cy - s * 0.6), (cx + s, cy + s * 0.6)], close: true)
            return group("compensate", DiagramShapes.path(left + " " + right, className: fill))
        }
    }

    static func gateway(_ kind: BPMNFlowNodeKind, cx: Double, cy: Double, size: Double, markerVisible: Bool) -> String {
        let s = size * 0.22
        switch kind {
        case .exclusiveGateway where markerVisible:
            let cross = p([(cx - s, cy - s), (cx + s, cy + s)]) + " " + p([(cx + s, cy - s), (cx - s, cy + s)])
            return group("exclusive", "<path class=\"marker\" style=\"stroke-width:3\" d=\"\(cross)\"/>")
        case .parallelGateway:
            let plus = p([(cx, cy - s * 1.2), (cx, cy + s * 1.2)]) + " " + p([(cx - s * 1.2, cy), (cx + s * 1.2, cy)])
            return group("parallel", "<path class=\"marker\" style=\"stroke-width:3\" d=\"\(plus)\"/>")
        case .inclusiveGateway:
            return group("inclusive", "<circle class=\"marker\" style=\"stroke-width:2.5\" cx=\"\(N.number(cx))\" cy=\"\(N.number(cy))\" r=\"\(N.number(s * 1.1))\"/>")
        case .eventBasedGateway:
            let points = (0..<5).map { index -> (Double, Double) in
                let angle = -Double.pi / 2 + Double(index) * 2 * Double.pi / 5
                return (cx + s * 0.7 * cos(angle), cy + s * 0.7 * sin(angle))
            }
            return group("eventBased", DiagramShapes.circle(cx, cy, s * 1.3, className: "marker") + DiagramShapes.circle(cx, cy, s * 1.1, className: "marker") + DiagramShapes.path(p(points, close: true), className: "marker"))
        case .complexGateway:
            let star = (0..<4).map { index -> String in
                let angle = Double(index) * Double.pi / 4
                return p([(cx - s * 1.2 * cos(angle), cy - s * 1.2 * sin(angle)), (cx + s * 1.2 * cos(angle), cy + s * 1.2 * sin(angle))])
            }.joined(separator: " ")
            return group("complex", "<path class=\"marker\" style=\"stroke-width:3\" d=\"\(star)\"/>")
        default:
            return ""
        }
    }

    /// A task type's icon in the top-left corner (16 × 16 from x, y).
    static func taskIcon(_ kind: BPMNFlowNodeKind, x: Double, y: Double) -> String {
        let cx = x + 8, cy = y + 8
        switch kind {
        case .serviceTask:
            let teeth = (0..<8).map { index -> String in
                let angle = Double(index) * Double.pi / 4
                return p([(cx + 4.5 * cos(angle), cy + 4.5 * sin(angle)), (cx + 7.5 * cos(angle), cy + 7.5 * sin(angle))])
            }.joined(separator: " ")
            return group("service", DiagramShapes.circle(cx, cy, 4.5, className: "marker") + "<path class=\"marker\" style=\"stroke-width:2.5\" d=\"\(teeth)\"/>" + DiagramShapes.circle(cx, cy, 1.8, className: "marker"))
        case .userTask:
            return group("user", DiagramShapes.circle(cx, y + 5, 3.5, className: "marker") + DiagramShapes.path("M\(N.number(x + 1)),\(N.number(y + 16)) C\(N.number(x + 1)),\(N.number(y + 9)) \(N.number(x + 15)),\(N.number(y + 9)) \(N.number(x + 15)),\(N.number(y + 16)) Z", className: "marker"))
        case .sendTask, .receiveTask:
            let box = p([(x, y + 3), (x + 16, y + 3), (x + 16, y + 13), (x, y + 13)], close: true)
            let flap = p([(x, y + 3), (cx, y + 9), (x + 16, y + 3)])
            let send = kind == .sendTask
            return group(send ? "send" : "receive", DiagramShapes.path(box, className: send ? "marker filled" : "marker") + DiagramShapes.path(flap, className: send ? "marker inverse" : "marker"))
        case .manualTask:
            let hand = "M\(N.number(x)),\(N.number(y + 7)) L\(N.number(x + 10)),\(N.number(y + 7)) M\(N.number(x + 2)),\(N.number(y + 10)) L\(N.number(x + 12)),\(N.number(y + 10)) M\(N.number(x + 2)),\(N.number(y + 13)) L\(N.number(x + 11)),\(N.number(y + 13)) M\(N.number(x)),\(N.number(y + 7)) L\(N.number(x)),\(N.number(y + 15)) L\(N.number(x + 9)),\(N.number(y + 15))"
            return group("manual", DiagramShapes.path(hand, className: "marker"))
        case .businessRuleTask:
            let table = p([(x, y + 2), (x + 16, y + 2), (x + 16, y + 14), (x, y + 14)], close: true)
            let lines = p([(x, y + 6), (x + 16, y + 6)]) + " " + p([(x + 5, y + 6), (x + 5, y + 14)]) + " " + p([(x, y + 10), (x + 16, y + 10)])
            return group("businessRule", DiagramShapes.path(table, className: "marker") + "<path class=\"marker filled\" d=\"\(p([(x, y + 2), (x + 16, y + 2), (x + 16, y + 6), (x, y + 6)], close: true))\"/>" + DiagramShapes.path(lines, className: "marker"))
        case .scriptTask:
            let scroll = "M\(N.number(x + 4)),\(N.number(y + 1)) L\(N.number(x + 15)),\(N.number(y + 1)) C\(N.number(x + 11)),\(N.number(y + 5)) \(N.number(x + 15)),\(N.number(y + 11)) \(N.number(x + 12)),\(N.number(y + 15)) L\(N.number(x + 1)),\(N.number(y + 15)) C\(N.number(x + 4)),\(N.number(y + 11)) \(N.number(x)),\(N.number(y + 5)) \(N.number(x + 4)),\(N.number(y + 1)) Z"
            let lines = (0..<3).map { p([(x + 5, y + 5 + Double($0) * 3), (x + 11, y + 5 + Double($0) * 3)]) }.joined(separator: " ")
            return group("script", DiagramShapes.path(scroll, className: "marker") + DiagramShapes.path(lines, className: "marker"))
        default:
            return ""
        }
    }

    /// Markers centred along an activity's bottom edge, left to right.
    static func activityMarkers(_ kinds: [String], centreX: Double, bottom: Double) -> String {
        guard !kinds.isEmpty else { return "" }
        let size = 12.0, gap = 4.0
        var x = centreX - (Double(kinds.count) * size + Double(kinds.count - 1) * gap) / 2
        var out = ""
        for kind in kinds {
            let y = bottom - size
            let body: String
            switch kind {
            case "parallel":
                body = (0..<3).map { p([(x + 2 + Double($0) * 4, y), (x + 2 + Double($0) * 4, y + size)]) }.joined(separator: " ")
            case "sequential":
                body = (0..<3).map { p([(x, y + 2 + Double($0) * 4), (x + size, y + 2 + Double($0) * 4)]) }.joined(separator: " ")
            case "loop":
                body = "M\(N.number(x + 3)),\(N.number(y + size - 1)) A5,5 0 1 1 \(N.number(x + 9)),\(N.number(y + size - 1)) M\(N.number(x + 9)),\(N.number(y + size - 1)) L\(N.number(x + 9)),\(N.number(y + size - 5)) M\(N.number(x + 9)),\(N.number(y + size - 1)) L\(N.number(x + 13)),\(N.number(y + size - 1))"
            case "collapsed":
                body = p([(x, y), (x + size, y), (x + size, y + size), (x, y + size)], close: true) + " " + p([(x + size / 2, y + 3), (x + size / 2, y + size - 3)]) + " " + p([(x + 3, y + size / 2), (x + size - 3, y + size / 2)])
            case "adHoc":
                body = "M\(N.number(x)),\(N.number(y + 7)) C\(N.number(x + 3)),\(N.number(y + 2)) \(N.number(x + 6)),\(N.number(y + 2)) \(N.number(x + 6)),\(N.number(y + 6)) C\(N.number(x + 6)),\(N.number(y + 10)) \(N.number(x + 9)),\(N.number(y + 10)) \(N.number(x + 12)),\(N.number(y + 5))"
            default:  // compensation
                body = p([(x, y + 6), (x + 6, y + 2), (x + 6, y + 10)], close: true) + " " + p([(x + 6, y + 6), (x + 12, y + 2), (x + 12, y + 10)], close: true)
            }
            out += group(kind, DiagramShapes.path(body, className: "marker"))
            x += size + gap
        }
        return out
    }
}
