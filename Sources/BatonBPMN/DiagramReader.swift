/// Reads BPMNDI (`<bpmndi:BPMNDiagram>`): shapes with bounds, edges with waypoints, labels.
enum DiagramReader {
    private typealias NS = BPMNNamespace

    static func readDiagram(_ element: XMLElement) -> BPMNDiagram {
        var diagram = BPMNDiagram(id: element.attribute("id"), name: element.attribute("name"))
        for planeElement in element.children("BPMNPlane", namespace: NS.bpmnDI) {
            var plane = BPMNPlane(id: planeElement.attribute("id"), bpmnElement: planeElement.attribute("bpmnElement"))
            for child in planeElement.children where child.namespaceURI == NS.bpmnDI {
                switch child.localName {
                case "BPMNShape":
                    plane.shapes.append(
                        BPMNShape(
                            id: child.attribute("id"), bpmnElement: child.attribute("bpmnElement"),
                            bounds: child.child("Bounds", namespace: NS.dc).flatMap(bounds),
                            isExpanded: child.attribute("isExpanded").map { $0 == "true" },
                            isHorizontal: child.attribute("isHorizontal").map { $0 == "true" },
                            isMarkerVisible: child.attribute("isMarkerVisible").map { $0 == "true" },
                            labelBounds: labelBounds(child), line: child.line))
                case "BPMNEdge":
                    plane.edges.append(
                        BPMNEdge(
                            id: child.attribute("id"), bpmnElement: child.attribute("bpmnElement"),
                            waypoints: child.children("waypoint", namespace: NS.di).compactMap(point),
                            labelBounds: labelBounds(child), line: child.line))
                default:
                    continue
                }
            }
            diagram.planes.append(plane)
        }
        return diagram
    }

    private static func labelBounds(_ element: XMLElement) -> BPMNBounds? {
        element.child("BPMNLabel", namespace: NS.bpmnDI)?.child("Bounds", namespace: NS.dc).flatMap(bounds)
    }

    private static func bounds(_ element: XMLElement) -> BPMNBounds? {
        guard let x = number(element, "x"), let y = number(element, "y"),
            let width = number(element, "width"), let height = number(element, "height")
        else { return nil }
        return BPMNBounds(x: x, y: y, width: width, height: height)
    }

    private static func point(_ element: XMLElement) -> BPMNPoint? {
        guard let x = number(element, "x"), let y = number(element, "y") else { return nil }
        return BPMNPoint(x: x, y: y)
    }

    private static func number(_ element: XMLElement, _ name: String) -> Double? {
        element.attribute(name).flatMap { Double($0.trimmingCharacters(in: " ")) }
    }
}
