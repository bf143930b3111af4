/// Reads BPMN 2.0 XML into a `BPMNDocument`.
///
/// The input is untrusted: it is parsed from memory with network access, DTDs and entities
/// off (see `XMLTree.parse`), and its size is bounded. The reader is namespace-aware and
/// keeps the line of every element so that later errors can point at it.
public enum BPMNReader {
    /// Reads a document from bytes. `fileName` only labels error messages.
    public static func read(_ bytes: [UInt8], fileName: String) throws(BPMNReadError) -> BPMNDocument {
        let tree = try XMLTree.parse(bytes, fileName: fileName)
        guard let root = tree.root else {
            throw BPMNReadError(fileName: fileName, line: nil, message: "the file has no root element")
        }
        guard root.localName == "definitions", root.namespaceURI == BPMNNamespace.model else {
            let namespace = root.namespaceURI.map { " in namespace \($0)" } ?? " without a namespace"
            throw BPMNReadError(
                fileName: fileName, line: root.line,
                message: "root element is <\(root.localName)>\(namespace); a BPMN file starts with <definitions> in \(BPMNNamespace.model)")
        }
        var reader = DocumentReader(fileName: fileName)
        return try reader.readDefinitions(root)
    }

    /// Reads a document from a file on disk.
    public static func read(path: String) throws(BPMNReadError) -> BPMNDocument {
        let bytes = try FileBytes.read(path: path, limit: XMLTree.maximumBytes)
        return try read(bytes, fileName: path)
    }
}

/// Walks the `<definitions>` tree. One instance per read.
struct DocumentReader {
    let fileName: String
    private typealias NS = BPMNNamespace

    init(fileName: String) { self.fileName = fileName }

    private func missing(_ attribute: String, on element: XMLElement) -> BPMNReadError {
        BPMNReadError(
            fileName: fileName, line: element.line,
            message: "<\(element.localName)> has no '\(attribute)' attribute")
    }

    private func required(_ attribute: String, of element: XMLElement) throws(BPMNReadError) -> String {
        guard let value = element.attribute(attribute), !value.isEmpty else { throw missing(attribute, on: element) }
        return value
    }

    mutating func readDefinitions(_ root: XMLElement) throws(BPMNReadError) -> BPMNDocument {
        var document = BPMNDocument(fileName: fileName)
        document.id = root.attribute("id")
        document.name = root.attribute("name")
        document.targetNamespace = root.attribute("targetNamespace")
        for element in root.children {
            switch (element.namespaceURI, element.localName) {
            case (NS.model, "process"):
                document.processes.append(try readProcess(element))
            case (NS.model, "collaboration"):
                document.collaborations.append(try readCollaboration(element))
            case (NS.model, "message"):
                let subscription = element.child("extensionElements", namespace: NS.model)?
                    .child("subscription", namespace: NS.zeebe)
                document.messages.append(
                    BPMNMessage(
                        id: try required("id", of: element), name: element.attribute("name"),
                        correlationKey: subscription?.attribute("correlationKey"), line: element.line))
            case (NS.model, "error"):
                document.errors.append(
                    BPMNErrorDeclaration(
                        id: try required("id", of: element), name: element.attribute("name"),
                        errorCode: element.attribute("errorCode"), line: element.line))
            case (NS.model, "signal"):
                document.signals.append(
                    BPMNNamedDeclaration(
                        id: try required("id", of: element), name: element.attribute("name"), code: nil,
                        line: element.line))
            case (NS.model, "escalation"):
                document.escalations.append(
                    BPMNNamedDeclaration(
                        id: try required("id", of: element), name: element.attribute("name"),
                        code: element.attribute("escalationCode"), line: element.line))
            case (NS.bpmnDI, "BPMNDiagram"):
                document.diagrams.append(DiagramReader.readDiagram(element))
            default:
                // itemDefinition, dataStore, globalTask, interface, resource... are not
                // needed to execute or draw a process.
                continue
            }
        }
        return document
    }

    private func readCollaboration(_ element: XMLElement) throws(BPMNReadError) -> BPMNCollaboration {
        var collaboration = BPMNCollaboration(
            id: try required("id", of: element), name: element.attribute("name"), line: element.line)
        for child in element.children where child.namespaceURI == NS.model {
            switch child.localName {
            case "participant":
                collaboration.participants.append(
                    BPMNParticipant(
                        id: try required("id", of: child), name: child.attribute("name"),
                        processRef: child.attribute("processRef"), line: child.line))
            case "messageFlow":
                collaboration.messageFlows.append(
                    BPMNMessageFlow(
                        id: try required("id", of: child), name: child.attribute("name"),
                        sourceRef: try required("sourceRef", of: child),
                        targetRef: try required("targetRef", of: child),
                        messageRef: child.attribute("messageRef"), line: child.line))
            case "documentation", "extensionElements":
                continue
            default:
                // Artifacts drawn across pools (groups, annotations, associations).
                collaboration.otherElements.append(Self.otherElement(child))
            }
        }
        return collaboration
    }

    private mutating func readProcess(_ element: XMLElement) throws(BPMNReadError) -> BPMNProcess {
        var process = BPMNProcess(
            id: try required("id", of: element), name: element.attribute("name"),
            isExecutable: element.attribute("isExecutable") == "true", line: element.line,
            scope: try readScope(element))
        process.laneSets = element.children("laneSet", namespace: NS.model).map(readLaneSet)
        process.versionTag = element.attribute("versionTag", namespace: NS.camunda)
            ?? element.child("extensionElements", namespace: NS.model)?.child("versionTag", namespace: NS.zeebe)?.attribute("value")
        return process
    }

    private func readLaneSet(_ element: XMLElement) -> BPMNLaneSet {
        var laneSet = BPMNLaneSet(id: element.attribute("id"))
        for lane in element.children("lane", namespace: NS.model) {
            laneSet.lanes.append(
                BPMNLane(
                    id: lane.attribute("id") ?? "", name: lane.attribute("name"),
                    flowNodeRefs: lane.children("flowNodeRef", namespace: NS.model).map { $0.text.trimmingCharacters(in: " \n\t\r") },
                    childLaneSet: lane.children("childLaneSet", namespace: NS.model).map(readLaneSet),
                    line: lane.line))
        }
        return laneSet
    }

    /// Reads the flow elements of a process or sub-process.
    mutating func readScope(_ element: XMLElement) throws(BPMNReadError) -> BPMNScope {
        var scope = BPMNScope()
        for child in element.children where child.namespaceURI == NS.model {
            let name = child.localName
            if let kind = BPMNFlowNodeKind(rawValue: name) {
                scope.flowNodes.append(try readFlowNode(child, kind: kind))
            } else if name == "sequenceFlow" {
                scope.sequenceFlows.append(
                    BPMNSequenceFlow(
                        id: try required("id", of: child), name: child.attribute("name"),
                        sourceRef: try required("sourceRef", of: child),
                        targetRef: try required("targetRef", of: child),
                        conditionExpression: child.child("conditionExpression", namespace: NS.model)
                            .map { $0.text.trimmingCharacters(in: " \n\t\r") },
                        line: child.line))
            } else if Self.notFlowElements.contains(name) {
                continue
            } else {
                scope.otherElements.append(Self.otherElement(child))
            }
        }
        return scope
    }

    static func otherElement(_ element: XMLElement) -> BPMNOtherElement {
        BPMNOtherElement(
            kind: element.localName, id: element.attribute("id"), line: element.line,
            text: element.child("text", namespace: NS.model)?.text ?? element.attribute("name"))
    }

    /// Children of a process that describe it rather than being part of its flow.
    private static let notFlowElements: Set<String> = [
        "documentation", "extensionElements", "laneSet", "ioSpecification", "property",
        "auditing", "monitoring", "supports", "resourceRole", "performer", "humanPerformer",
        "potentialOwner", "correlationSubscription",
    ]
}
