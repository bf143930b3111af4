/// The SVG of each kind of BPMN shape, at the bounds the file gives (see `DiagramRenderer`).
enum DiagramShapes {
    typealias N = SVGText

    static func rect(_ b: BPMNBounds, radius: Double = 0, className: String) -> String {
        "<rect class=\"\(className)\" x=\"\(N.number(b.x))\" y=\"\(N.number(b.y))\" width=\"\(N.number(b.width))\" height=\"\(N.number(b.height))\"\(radius > 0 ? " rx=\"\(N.number(radius))\"" : "")/>"
    }

    static func circle(_ x: Double, _ y: Double, _ r: Double, className: String) -> String {
        "<circle class=\"\(className)\" cx=\"\(N.number(x))\" cy=\"\(N.number(y))\" r=\"\(N.number(r))\"/>"
    }

    static func path(_ d: String, className: String) -> String {
        "<path class=\"\(className)\" d=\"\(d)\"/>"
    }

    /// A pool or lane: its outline, and its name in a band along the left (or top) edge.
    static func band(_ b: BPMNBounds, name: String?, horizontal: Bool, thick: Bool) -> String {
        var out = rect(b, className: "band")
        let size = 30.0
        if horizontal {
            if thick { out += "<line class=\"band\" x1=\"\(N.number(b.x + size))\" y1=\"\(N.number(b.y))\" x2=\"\(N.number(b.x + size))\" y2=\"\(N.number(b.y + b.height))\"/>" }
            if let name, !name.isEmpty {
                let x = b.x + size / 2, y = b.y + b.height / 2
                let lines = N.lines(name, width: b.height - 10, maximumLines: 2)
                out += "<g transform=\"rotate(-90 \(N.number(x)) \(N.number(y)))\">" + N.centred(lines, x: x, y: y - Double(lines.count - 1) * N.lineHeight / 2, className: "label band-name") + "</g>"
            }
        } else {
            if thick { out += "<line class=\"band\" x1=\"\(N.number(b.x))\" y1=\"\(N.number(b.y + size))\" x2=\"\(N.number(b.x + b.width))\" y2=\"\(N.number(b.y + size))\"/>" }
            if let name, !name.isEmpty {
                out += N.centred(N.lines(name, width: b.width - 10, maximumLines: 2), x: b.x + b.width / 2, y: b.y + size / 2, className: "label band-name")
            }
        }
        return out
    }

    /// An event: thin circle (start), double circle (intermediate, boundary), thick circle
    /// (end); dashed when it does not interrupt; its definition's marker inside, filled
    /// when it throws.
    static func event(_ node: BPMNFlowNode, _ b: BPMNBounds) -> String {
        let cx = b.x + b.width / 2, cy = b.y + b.height / 2, r = min(b.width, b.height) / 2
        let nonInterrupting = (node.kind == .boundaryEvent && !node.cancelActivity) || (node.kind == .startEvent && !node.isInterrupting)
        let dash = nonInterrupting ? " dashed" : ""
        var out: String
        switch node.kind {
        case .startEvent: out = circle(cx, cy, r, className: "outline thin\(dash)")
        case .endEvent: out = circle(cx, cy, r, className: "outline thick")
        default: out = circle(cx, cy, r, className: "outline thin\(dash)") + circle(cx, cy, r - 3, className: "outline thin\(dash)")
        }
        let throwing = node.kind == .endEvent || node.kind == .intermediateThrowEvent || node.kind == .implicitThrowEvent
        out += DiagramMarkers.event(node.eventDefinitions, cx: cx, cy: cy, r: r, filled: throwing)
        return out
    }

    /// A gateway: a diamond with its marker (an exclusive gateway's X only when the file
    /// asks for it, as BPMNDI says).
    static func gateway(_ node: BPMNFlowNode, _ b: BPMNBounds, markerVisible: Bool) -> String {
        let cx = b.x + b.width / 2, cy = b.y + b.height / 2
        let diamond = path("M\(N.number(cx)),\(N.number(b.y)) L\(N.number(b.x + b.width)),\(N.number(cy)) L\(N.number(cx)),\(N.number(b.y + b.height)) L\(N.number(b.x)),\(N.number(cy)) Z", className: "outline")
        return diamond + DiagramMarkers.gateway(node.kind, cx: cx, cy: cy, size: min(b.width, b.height), markerVisible: markerVisible)
    }

    /// A task, call activity or sub-process: a rounded rectangle with the type icon, the
    /// name, and the markers along the bottom (loop, collapsed, ad hoc, compensation).
    static func activity(_ node: BPMNFlowNode, _ b: BPMNBounds, expanded: Bool) -> String {
        var className = "outline"
        if node.kind == .callActivity { className += " thick" }
        if node.kind == .subProcess && node.triggeredByEvent { className += " dotted" }
        var out = rect(b, radius: 10, className: className)
        if node.kind == .transaction {
            out += rect(BPMNBounds(x: b.x + 3, y: b.y + 3, width: b.width - 6, height: b.height - 6), radius: 8, className: "outline")
        }
        out += DiagramMarkers.taskIcon(node.kind, x: b.x + 6, y: b.y + 6)
        if let name = node.name, !name.isEmpty {
            if expanded {
                out += "<text class=\"label\" x=\"\(N.number(b.x + 8))\" y=\"\(N.number(b.y + 16))\">\(N.escaped(N.lines(name, width: b.width - 16, maximumLines: 1).first ?? ""))</text>"
            } else {
                let lines = N.lines(name, width: b.width - 12, maximumLines: max(1, Int((b.height - 16) / N.lineHeight)))
                out += N.centred(lines, x: b.x + b.width / 2, y: b.y + b.height / 2 - Double(lines.count - 1) * N.lineHeight / 2)
            }
        }
        var markers: [String] = []
        if let loop = node.loop { markers.append(loop.kind == .standardLoop ? "loop" : loop.isSequential ? "sequential" : "parallel") }
        if node.kind.hasContent && !expanded { markers.append("collapsed") }
        if node.kind == .adHocSubProcess { markers.append("adHoc") }
        if node.isForCompensation { markers.append("compensation") }
        out += DiagramMarkers.activityMarkers(markers, centreX: b.x + b.width / 2, bottom: b.y + b.height - 4)
        return out
    }

    /// Data objects, data stores, text annotations, groups; anything else as a plain outline.
    static func artifact(_ other: BPMNOtherElement, _ b: BPMNBounds) -> String {
        let x = b.x, y = b.y, w = b.width, h = b.height
        switch other.kind {
        case "dataObject", "dataObjectReference", "dataInput", "dataOutput":
            let fold = min(10, w / 3)
            return path("M\(N.number(x)),\(N.number(y)) L\(N.number(x + w - fold)),\(N.number(y)) L\(N.number(x + w)),\(N.number(y + fold)) L\(N.number(x + w)),\(N.number(y + h)) L\(N.number(x)),\(N.number(y + h)) Z", className: "outline")
                + path("M\(N.number(x + w - fold)),\(N.number(y)) L\(N.number(x + w - fold)),\(N.number(y + fold)) L\(N.number(x + w)),\(N.number(y + fold))", className: "marker")
        case "dataStoreReference", "dataStore":
            let e = min(8, h / 4)
            return path("M\(N.number(x)),\(N.number(y + e)) A\(N.number(w / 2)),\(N.number(e)) 0 0 1 \(N.number(x + w)),\(N.number(y + e)) L\(N.number(x + w)),\(N.number(y + h - e)) A\(N.number(w / 2)),\(N.number(e)) 0 0 1 \(N.number(x)),\(N.number(y + h - e)) Z", className: "outline")
                + path("M\(N.number(x)),\(N.number(y + e)) A\(N.number(w / 2)),\(N.number(e)) 0 0 0 \(N.number(x + w)),\(N.number(y + e))", className: "marker")
        case "textAnnotation":
            var out = path("M\(N.number(x + 15)),\(N.number(y)) L\(N.number(x)),\(N.number(y)) L\(N.number(x)),\(N.number(y + h)) L\(N.number(x + 15)),\(N.number(y + h))", className: "marker")
            if let text = other.text, !text.isEmpty {
                let lines = N.lines(text, width: w - 10, maximumLines: max(1, Int(h / N.lineHeight)))
                out += "<text class=\"label annotation\" x=\"\(N.number(x + 5))\" y=\"\(N.number(y + 12))\">"
                    + lines.enumerated().map { "<tspan x=\"\(N.number(x + 5))\" dy=\"\($0.offset == 0 ? "0" : N.number(N.lineHeight))\">\(N.escaped($0.element))</tspan>" }.joined()
                    + "</text>"
            }
            return out
        case "group":
            return rect(b, radius: 10, className: "marker dashed")
        default:
            return rect(b, className: "outline unknown")
        }
    }

    /// The slash across a default flow near its source.
    static func defaultMarker(_ from: BPMNPoint, _ to: BPMNPoint) -> String {
        let (ux, uy) = unit(from, to)
        let cx = from.x + ux * 10, cy = from.y + uy * 10
        // Across the flow, leaning forward.
        let ax = -uy * 5 + ux * 3, ay = ux * 5 + uy * 3
        return "<line class=\"marker default-flow\" x1=\"\(N.number(cx - ax))\" y1=\"\(N.number(cy - ay))\" x2=\"\(N.number(cx + ax))\" y2=\"\(N.number(cy + ay))\"/>"
    }

    /// The small diamond where a conditional flow leaves an activity.
    static func conditionalMarker(_ from: BPMNPoint, _ to: BPMNPoint) -> String {
        let (ux, uy) = unit(from, to)
        let px = -uy * 5, py = ux * 5
        let points = [(from.x, from.y), (from.x + ux * 8 + px, from.y + uy * 8 + py), (from.x + ux * 16, from.y + uy * 16), (from.x + ux * 8 - px, from.y + uy * 8 - py)]
        return "<polygon class=\"outline conditional-flow\" points=\"\(points.map { "\(N.number($0.0)),\(N.number($0.1))" }.joined(separator: " "))\"/>"
    }

    private static func unit(_ from: BPMNPoint, _ to: BPMNPoint) -> (Double, Double) {
        let dx = to.x - from.x, dy = to.y - from.y
        let length = max((dx * dx + dy * dy).squareRoot(), 0.001)
        return (dx / length, dy / length)
    }
}
