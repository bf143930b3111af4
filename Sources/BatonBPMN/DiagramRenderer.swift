/// Draws a BPMN file's diagram (its BPMNDI) as a self-contained SVG: pools and lanes,
/// events with their markers, tasks with their type icons, gateways with theirs,
/// sub-processes expanded or collapsed, sequence and message flows with their waypoints and
/// arrowheads, associations, data objects, annotations and labels. Nothing is laid out
/// here: every position comes from the file.
///
/// Every BPMNDI shape becomes one `<g class="shape KIND" data-element-id="ID">` and every
/// edge one `<g class="edge KIND" data-element-id="ID">`, so pages can find and mark them.
public struct DiagramRenderer: Sendable {
    public let document: BPMNDocument
    let elements: [String: DiagramElement]

    public init(document: BPMNDocument) {
        self.document = document
        elements = DiagramElement.index(document)
    }

    /// The plane that draws `processId` (directly, or as a pool of a collaboration), or the
    /// first plane; nil when the file has no diagram.
    public func plane(for processId: String? = nil) -> BPMNPlane? {
        let planes = document.diagrams.flatMap(\.planes)
        guard let processId else { return planes.first }
        let pools = Set(document.collaborations.filter { $0.participants.contains { $0.processRef == processId } }.map(\.id))
        return planes.first { $0.bpmnElement == processId } ?? planes.first { $0.bpmnElement.map(pools.contains) ?? false } ?? planes.first
    }

    /// The SVG of `plane(for: processId)`, or nil when the file has no diagram.
    public func svg(for processId: String? = nil, overlay: DiagramOverlay = DiagramOverlay()) -> String? {
        guard let plane = plane(for: processId) else { return nil }
        return svg(of: plane, overlay: overlay)
    }

    public func svg(of plane: BPMNPlane, overlay: DiagramOverlay = DiagramOverlay()) -> String {
        let area = DiagramArea(plane)
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"bpmn-diagram\" viewBox=\"\(area.viewBox)\" width=\"\(SVGText.number(area.width))\" height=\"\(SVGText.number(area.height))\">"
        out += Self.styleAndMarkers
        let shapes = plane.shapes.filter { $0.bounds != nil }.sorted { layer(of: $0) < layer(of: $1) }
        for shape in shapes where layer(of: shape).rank < 5 { out += draw(shape, overlay) }
        for edge in plane.edges where edge.waypoints.count >= 2 { out += draw(edge) }
        for shape in shapes where layer(of: shape).rank >= 5 { out += draw(shape, overlay) }
        return out + "</svg>"
    }

    /// Pools under lanes under expanded sub-processes (larger first) under the rest; then
    /// the flows (a message flow's circle sits on an outline), boundary events on top.
    private func layer(of shape: BPMNShape) -> DiagramLayer {
        let area = shape.bounds.map { $0.width * $0.height } ?? 0
        switch shape.bpmnElement.flatMap({ elements[$0] }) {
        case .participant: return DiagramLayer(rank: 0, area: area)
        case .lane: return DiagramLayer(rank: 1, area: area)
        case .flowNode(let node) where node.kind.hasContent && shape.isExpanded == true: return DiagramLayer(rank: 2, area: area)
        case .other(let other) where other.kind == "group": return DiagramLayer(rank: 2, area: area)
        case .flowNode(let node) where node.kind == .boundaryEvent: return DiagramLayer(rank: 5, area: area)
        default: return DiagramLayer(rank: 4, area: area)
        }
    }

    private func draw(_ shape: BPMNShape, _ overlay: DiagramOverlay) -> String {
        let bounds = shape.bounds!
        let id = shape.bpmnElement ?? shape.id ?? ""
        let element = shape.bpmnElement.flatMap { elements[$0] }
        let body: (kind: String, svg: String)
        switch element {
        case .participant(let participant):
            body = ("participant", DiagramShapes.band(bounds, name: participant.name, horizontal: shape.isHorizontal ?? true, thick: true))
        case .lane(let lane):
            body = ("lane", DiagramShapes.band(bounds, name: lane.name, horizontal: shape.isHorizontal ?? true, thick: false))
        case .flowNode(let node) where node.kind.isEvent:
            body = (node.kind.rawValue, DiagramShapes.event(node, bounds) + externalLabel(node.name, shape, below: bounds))
        case .flowNode(let node) where node.kind.isGateway:
            body = (node.kind.rawValue, DiagramShapes.gateway(node, bounds, markerVisible: shape.isMarkerVisible ?? false) + externalLabel(node.name, shape, below: bounds))
        case .flowNode(let node):
            body = (node.kind.rawValue, DiagramShapes.activity(node, bounds, expanded: node.kind.hasContent && shape.isExpanded == true))
        case .other(let other):
            body = (other.kind, DiagramShapes.artifact(other, bounds) + (other.kind.hasPrefix("data") ? externalLabel(other.text, shape, below: bounds) : ""))
        case .sequenceFlow, .messageFlow, nil:
            body = ("unknown", "<rect class=\"outline unknown\" x=\"\(SVGText.number(bounds.x))\" y=\"\(SVGText.number(bounds.y))\" width=\"\(SVGText.number(bounds.width))\" height=\"\(SVGText.number(bounds.height))\"/>")
        }
        let marks = overlay.classes[id].map { " " + $0.map(SVGText.escaped).joined(separator: " ") } ?? ""
        let badges = overlay.badges[id].map { DiagramOverlay.draw($0, at: bounds) } ?? ""
        return "<g class=\"shape \(SVGText.escaped(body.kind))\(marks)\" data-element-id=\"\(SVGText.escaped(id))\">\(body.svg)\(badges)</g>"
    }

    /// An event's, gateway's or data object's name: where the file placed the label, else
    /// centred under the shape.
    private func externalLabel(_ name: String?, _ shape: BPMNShape, below bounds: BPMNBounds) -> String {
        guard let name, !name.isEmpty else { return "" }
        if let label = shape.labelBounds {
            return SVGText.centred(SVGText.lines(name, width: max(label.width, 60)), x: label.x + label.width / 2, y: label.y + SVGText.lineHeight / 2)
        }
        return SVGText.centred(SVGText.lines(name, width: 100), x: bounds.x + bounds.width / 2, y: bounds.y + bounds.height + 4 + SVGText.lineHeight / 2)
    }

    private func draw(_ edge: BPMNEdge) -> String {
        let id = edge.bpmnElement ?? edge.id ?? ""
        let points = edge.waypoints.map { "\(SVGText.number($0.x)),\(SVGText.number($0.y))" }.joined(separator: " ")
        var kind = "association"
        var name: String?
        var line = "<polyline class=\"flow association\" points=\"\(points)\"/>"
        switch edge.bpmnElement.flatMap({ elements[$0] }) {
        case .sequenceFlow(let flow, let source):
            kind = "sequenceFlow"
            name = flow.name
            line = "<polyline class=\"flow sequence\" points=\"\(points)\" marker-end=\"url(#bpmn-arrow)\"/>"
            if let source, source.defaultFlow == flow.id {
                line += DiagramShapes.defaultMarker(edge.waypoints[0], edge.waypoints[1])
            } else if let source, flow.conditionExpression != nil, source.kind.isActivity {
                line += DiagramShapes.conditionalMarker(edge.waypoints[0], edge.waypoints[1])
            }
        case .messageFlow(let flow):
            kind = "messageFlow"
            name = flow.name
            line = "<polyline class=\"flow message\" points=\"\(points)\" marker-start=\"url(#bpmn-message-start)\" marker-end=\"url(#bpmn-message-end)\"/>"
        case .other(let other) where other.kind.hasPrefix("data"):
            kind = other.kind
            line = "<polyline class=\"flow association\" points=\"\(points)\" marker-end=\"url(#bpmn-open-arrow)\"/>"
        default:
            break
        }
        if let name, !name.isEmpty {
            if let label = edge.labelBounds {
                line += SVGText.centred(SVGText.lines(name, width: max(label.width, 60)), x: label.x + label.width / 2, y: label.y + SVGText.lineHeight / 2)
            } else {
                let middle = edge.waypoints[edge.waypoints.count / 2 - (edge.waypoints.count % 2 == 0 ? 1 : 0)]
                line += SVGText.centred(SVGText.lines(name, width: 120), x: middle.x, y: middle.y - 10)
            }
        }
        return "<g class=\"edge \(kind)\" data-element-id=\"\(SVGText.escaped(id))\">\(line)</g>"
    }

    static let styleAndMarkers = """
        <style>\
        .bpmn-diagram{background:#fff}\
        .bpmn-diagram .outline{fill:#fff;stroke:#222;stroke-width:1.5}\
        .bpmn-diagram .band{fill:none;stroke:#222;stroke-width:1.5}\
        .bpmn-diagram .participant>.band{stroke-width:2}\
        .bpmn-diagram .thick{stroke-width:4}\
        .bpmn-diagram .thin{stroke-width:1}\
        .bpmn-diagram .dashed{stroke-dasharray:6 3}\
        .bpmn-diagram .dotted{stroke-dasharray:2 3}\
        .bpmn-diagram .marker{fill:none;stroke:#222;stroke-width:1.5}\
        .bpmn-diagram .marker.filled,.bpmn-diagram .filled{fill:#222}\
        .bpmn-diagram .marker.inverse{stroke:#fff}\
        .bpmn-diagram .flow{fill:none;stroke:#222;stroke-width:1.5}\
        .bpmn-diagram .flow.message{stroke-dasharray:8 4}\
        .bpmn-diagram .flow.association{stroke-dasharray:2 3}\
        .bpmn-diagram text{font-family:Arial,Helvetica,sans-serif;font-size:12px;fill:#222}\
        .bpmn-diagram .unknown{stroke-dasharray:4 4}\
        .bpmn-diagram .done>.outline{fill:#e8f5e9;stroke:#2e7d32}\
        .bpmn-diagram .token>.outline{fill:#e3f2fd;stroke:#1565c0;stroke-width:3}\
        .bpmn-diagram .incident>.outline{fill:#ffebee;stroke:#c62828;stroke-width:3}\
        .bpmn-diagram .badge text{fill:#fff;font-size:11px;font-weight:bold}\
        .bpmn-diagram .badge.tokens circle{fill:#1565c0}\
        .bpmn-diagram .badge.incidents circle{fill:#c62828}\
        </style>\
        <defs>\
        <marker id="bpmn-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="10" markerHeight="10" orient="auto"><path d="M0,1 L10,5 L0,9 Z" fill="#222"/></marker>\
        <marker id="bpmn-open-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="10" markerHeight="10" orient="auto"><path d="M0,1 L10,5 L0,9" fill="none" stroke="#222"/></marker>\
        <marker id="bpmn-message-end" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="10" markerHeight="10" orient="auto"><path d="M0,1 L10,5 L0,9 Z" fill="#fff" stroke="#222"/></marker>\
        <marker id="bpmn-message-start" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="8" markerHeight="8"><circle cx="5" cy="5" r="4" fill="#fff" stroke="#222"/></marker>\
        </defs>
        """
}

/// What a BPMNDI shape or edge refers to.
enum DiagramElement: Sendable {
    case flowNode(BPMNFlowNode)
    case participant(BPMNParticipant)
    case lane(BPMNLane)
    case sequenceFlow(BPMNSequenceFlow, source: BPMNFlowNode?)
    case messageFlow(BPMNMessageFlow)
    case other(BPMNOtherElement)

    static func index(_ document: BPMNDocument) -> [String: DiagramElement] {
        var elements: [String: DiagramElement] = [:]
        func add(_ scope: BPMNScope) {
            let nodes = Dictionary(scope.flowNodes.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            for node in scope.flowNodes {
                elements[node.id] = .flowNode(node)
                if let inner = node.subProcess { add(inner) }
            }
            for flow in scope.sequenceFlows { elements[flow.id] = .sequenceFlow(flow, source: nodes[flow.sourceRef]) }
            for other in scope.otherElements { if let id = other.id { elements[id] = .other(other) } }
        }
        func add(_ lanes: [BPMNLaneSet]) {
            for lane in lanes.flatMap(\.lanes) {
                elements[lane.id] = .lane(lane)
                add(lane.childLaneSet)
            }
        }
        for process in document.processes {
            add(process.scope)
            add(process.laneSets)
        }
        for collaboration in document.collaborations {
            for participant in collaboration.participants { elements[participant.id] = .participant(participant) }
            for flow in collaboration.messageFlows { elements[flow.id] = .messageFlow(flow) }
            for other in collaboration.otherElements { if let id = other.id { elements[id] = .other(other) } }
        }
        return elements
    }
}

struct DiagramLayer: Comparable {
    let rank: Int
    let area: Double

    static func < (left: DiagramLayer, right: DiagramLayer) -> Bool {
        left.rank != right.rank ? left.rank < right.rank : left.area > right.area
    }
}

/// The part of the plane anything is drawn in, with a margin.
struct DiagramArea {
    let minX: Double, minY: Double, width: Double, height: Double

    init(_ plane: BPMNPlane) {
        var xs: [Double] = []
        var ys: [Double] = []
        for bounds in plane.shapes.compactMap(\.bounds) + plane.shapes.compactMap(\.labelBounds) + plane.edges.compactMap(\.labelBounds) {
            xs += [bounds.x, bounds.x + bounds.width]
            ys += [bounds.y, bounds.y + bounds.height]
        }
        for point in plane.edges.flatMap(\.waypoints) {
            xs.append(point.x)
            ys.append(point.y)
        }
        // Labels under events and gateways reach below their shapes.
        let margin = 30.0
        minX = (xs.min() ?? 0) - margin
        minY = (ys.min() ?? 0) - margin
        width = max(1, (xs.max() ?? 100) + margin - minX)
        height = max(1, (ys.max() ?? 100) + margin + 20 - minY)
    }

    var viewBox: String { "\(SVGText.number(minX)) \(SVGText.number(minY)) \(SVGText.number(width)) \(SVGText.number(height))" }
}
