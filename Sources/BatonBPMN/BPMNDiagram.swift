/// BPMNDI: where each element is drawn. Kept for the diagram renderer and for tools that
/// write the file back.
public struct BPMNDiagram: Sendable, Hashable {
    public var id: String?
    public var name: String?
    public var planes: [BPMNPlane] = []
}

public struct BPMNPlane: Sendable, Hashable {
    public var id: String?
    /// The process or collaboration the plane draws.
    public var bpmnElement: String?
    public var shapes: [BPMNShape] = []
    public var edges: [BPMNEdge] = []
}

public struct BPMNBounds: Sendable, Hashable {
    public var x: Double, y: Double, width: Double, height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
}

public struct BPMNPoint: Sendable, Hashable {
    public var x: Double, y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

public struct BPMNShape: Sendable, Hashable {
    public var id: String?
    public var bpmnElement: String?
    public var bounds: BPMNBounds?
    public var isExpanded: Bool?
    public var isHorizontal: Bool?
    public var isMarkerVisible: Bool?
    /// Bounds of the label, when the file places it.
    public var labelBounds: BPMNBounds?
    public var line: Int
}

public struct BPMNEdge: Sendable, Hashable {
    public var id: String?
    public var bpmnElement: String?
    public var waypoints: [BPMNPoint] = []
    public var labelBounds: BPMNBounds?
    public var line: Int
}
