extension DocumentReader {
    private typealias NS = BPMNNamespace

    /// Reads one flow node: attributes, event definitions, loop characteristics, the
    /// extension elements of both Camunda generations, and (for sub-processes) its content.
    mutating func readFlowNode(_ element: XMLElement, kind: BPMNFlowNodeKind) throws(BPMNReadError) -> BPMNFlowNode {
        guard let id = element.attribute("id"), !id.isEmpty else {
            throw BPMNReadError(fileName: fileName, line: element.line, message: "<\(kind.rawValue)> has no 'id' attribute")
        }
        var node = BPMNFlowNode(id: id, name: element.attribute("name"), kind: kind, line: element.line)
        node.attachedToRef = element.attribute("attachedToRef")
        node.cancelActivity = element.attribute("cancelActivity") != "false"
        node.isInterrupting = element.attribute("isInterrupting") != "false"
        node.triggeredByEvent = element.attribute("triggeredByEvent") == "true"
        node.isForCompensation = element.attribute("isForCompensation") == "true"
        node.defaultFlow = element.attribute("default")
        node.calledElement = element.attribute("calledElement")
        node.messageRef = element.attribute("messageRef")
        readCamunda7Attributes(element, into: &node)

        for child in element.children {
            switch (child.namespaceURI, child.localName) {
            case (NS.model, "incoming"):
                node.incoming.append(child.text.trimmingCharacters(in: " \n\t\r"))
            case (NS.model, "outgoing"):
                node.outgoing.append(child.text.trimmingCharacters(in: " \n\t\r"))
            case (NS.model, let name) where name.hasSuffix("EventDefinition"):
                if let definition = Self.eventDefinition(child) { node.eventDefinitions.append(definition) }
            case (NS.model, "standardLoopCharacteristics"):
                node.loop = BPMNLoopCharacteristics(kind: .standardLoop, isSequential: true)
            case (NS.model, "multiInstanceLoopCharacteristics"):
                node.loop = Self.multiInstance(child)
            case (NS.model, "script"):
                node.script = node.script ?? BPMNScript()
                node.script?.text = child.text
            case (NS.model, "extensionElements"):
                readExtensionElements(child, into: &node)
            default:
                continue
            }
        }
        if kind == .scriptTask, node.script == nil || node.script?.format == nil {
            node.script = node.script ?? BPMNScript()
            node.script?.format = element.attribute("scriptFormat")
        }
        if kind.hasContent {
            node.subProcess = try readScope(element)
        }
        return node
    }

    private func readCamunda7Attributes(_ element: XMLElement, into node: inout BPMNFlowNode) {
        let type = element.attribute("type", namespace: NS.camunda)
        let topic = element.attribute("topic", namespace: NS.camunda)
        if type == "external" || topic != nil {
            node.taskDefinition = BPMNTaskDefinition(
                style: .camunda7, topic: topic, retries: nil,
                priority: element.attribute("taskPriority", namespace: NS.camunda))
        }
        for attribute in ["class", "delegateExpression", "expression"] {
            if let value = element.attribute(attribute, namespace: NS.camunda) {
                node.javaImplementation = ("camunda:" + attribute, value)
                break
            }
        }
        if node.kind == .scriptTask {
            node.script = BPMNScript(
                format: element.attribute("scriptFormat"), text: nil,
                resultVariable: element.attribute("resultVariable", namespace: NS.camunda))
        }
        if node.calledElement == nil {
            node.calledElement = element.attribute("calledElement", namespace: NS.camunda)
        }
        node.callDetails.binding = element.attribute("calledElementBinding", namespace: NS.camunda)
        node.callDetails.version = element.attribute("calledElementVersion", namespace: NS.camunda)
        node.callDetails.versionTag = element.attribute("calledElementVersionTag", namespace: NS.camunda)
    }

    private func readExtensionElements(_ element: XMLElement, into node: inout BPMNFlowNode) {
        for extensionElement in element.children {
            switch (extensionElement.namespaceURI, extensionElement.localName) {
            case (NS.zeebe, "taskDefinition"):
                node.taskDefinition = BPMNTaskDefinition(
                    style: .camunda8, topic: extensionElement.attribute("type"),
                    retries: extensionElement.attribute("retries"), priority: nil)
            case (NS.zeebe, "ioMapping"):
                for mapping in extensionElement.children where mapping.namespaceURI == NS.zeebe {
                    let value = BPMNMapping(
                        source: mapping.attribute("source") ?? "", target: mapping.attribute("target") ?? "",
                        line: mapping.line)
                    if mapping.localName == "input" { node.inputMappings.append(value) }
                    if mapping.localName == "output" { node.outputMappings.append(value) }
                }
            case (NS.zeebe, "script"):
                node.script = BPMNScript(
                    format: "feel", text: extensionElement.attribute("expression"),
                    resultVariable: extensionElement.attribute("resultVariable"))
            case (NS.zeebe, "calledElement"):
                node.calledElement = extensionElement.attribute("processId")
                node.callDetails.camunda8 = true
                node.callDetails.binding = extensionElement.attribute("bindingType")
                node.callDetails.versionTag = extensionElement.attribute("versionTag")
                node.callDetails.propagateAllChildVariables = extensionElement.attribute("propagateAllChildVariables").map { $0 != "false" }
                node.callDetails.propagateAllParentVariables = extensionElement.attribute("propagateAllParentVariables").map { $0 != "false" }
            case (NS.camunda, "executionListener"), (NS.camunda, "taskListener"),
                 (NS.zeebe, "executionListeners"), (NS.zeebe, "taskListeners"):
                let prefix = extensionElement.namespaceURI == NS.camunda ? "camunda:" : "zeebe:"
                node.listeners.append(BPMNListener(name: prefix + extensionElement.localName, line: extensionElement.line))
            case (NS.camunda, "in"), (NS.camunda, "out"):
                let incoming = extensionElement.localName == "in"
                if extensionElement.attribute("variables") == "all" {
                    if incoming { node.callDetails.camundaInAll = true } else { node.callDetails.camundaOutAll = true }
                } else if let target = extensionElement.attribute("target") {
                    // A source is a variable name; a sourceExpression is JUEL.
                    let source = extensionElement.attribute("sourceExpression") ?? extensionElement.attribute("source").map { "${\($0)}" } ?? ""
                    let mapping = BPMNMapping(source: source, target: target, line: extensionElement.line)
                    if incoming { node.callDetails.camundaIn.append(mapping) } else { node.callDetails.camundaOut.append(mapping) }
                }
            case (NS.camunda, "inputOutput"):
                for parameter in extensionElement.children where parameter.namespaceURI == NS.camunda {
                    let name = parameter.attribute("name") ?? ""
                    let text = parameter.text.trimmingCharacters(in: " \n\t\r")
                    if parameter.localName == "inputParameter" {
                        node.inputMappings.append(BPMNMapping(source: text, target: name, line: parameter.line))
                    }
                    if parameter.localName == "outputParameter" {
                        node.outputMappings.append(BPMNMapping(source: text, target: name, line: parameter.line))
                    }
                }
            default:
                continue
            }
        }
    }

    private static func eventDefinition(_ element: XMLElement) -> BPMNEventDefinition? {
        switch element.localName {
        case "messageEventDefinition": return .message(messageRef: element.attribute("messageRef"))
        case "errorEventDefinition": return .error(errorRef: element.attribute("errorRef"))
        case "signalEventDefinition": return .signal(signalRef: element.attribute("signalRef"))
        case "escalationEventDefinition": return .escalation(escalationRef: element.attribute("escalationRef"))
        case "linkEventDefinition": return .link(name: element.attribute("name"))
        case "terminateEventDefinition": return .terminate
        case "cancelEventDefinition": return .cancel
        case "compensateEventDefinition": return .compensate(activityRef: element.attribute("activityRef"))
        case "conditionalEventDefinition":
            return .conditional(
                condition: element.child("condition", namespace: NS.model)?.text.trimmingCharacters(in: " \n\t\r"))
        case "timerEventDefinition":
            func text(_ name: String) -> String? {
                element.child(name, namespace: NS.model)?.text.trimmingCharacters(in: " \n\t\r")
            }
            return .timer(BPMNTimer(timeDuration: text("timeDuration"), timeDate: text("timeDate"), timeCycle: text("timeCycle")))
        default:
            return nil
        }
    }

    private static func multiInstance(_ element: XMLElement) -> BPMNLoopCharacteristics {
        var loop = BPMNLoopCharacteristics(
            kind: .multiInstance, isSequential: element.attribute("isSequential") == "true")
        loop.loopCardinality = element.child("loopCardinality", namespace: NS.model)?.text
        loop.completionCondition = element.child("completionCondition", namespace: NS.model)?.text
        loop.inputCollection = element.attribute("collection", namespace: NS.camunda)
        loop.inputElement = element.attribute("elementVariable", namespace: NS.camunda)
        if let zeebe = element.child("extensionElements", namespace: NS.model)?
            .child("loopCharacteristics", namespace: NS.zeebe)
        {
            loop.inputCollection = zeebe.attribute("inputCollection")
            loop.inputElement = zeebe.attribute("inputElement")
            loop.outputCollection = zeebe.attribute("outputCollection")
            loop.outputElement = zeebe.attribute("outputElement")
        }
        return loop
    }
}
