import BatonModel

/// The activities that run others: multi-instance characteristics (split into a body and
/// the activity by `build()`), call activities, and the start events of event sub-processes.
extension ProcessCompilation {
    /// The start event of an event sub-process: a timer, a message, a signal, an error
    /// (always interrupting) or an escalation; interrupting unless `isInterrupting="false"`.
    mutating func eventSubProcessStart(_ index: Int32, _ definition: BPMNEventDefinition?) -> ElementDetails? {
        let node = nodes[Int(index)]
        switch definition {
        case .timer(let timer)?:
            if timer.timeCycle != nil, node.isInterrupting {
                report(.timerInvalid, node: index, "an interrupting timer start event fires once (it ends the scope's other work): a timeCycle repeats only when isInterrupting=\"false\"")
                return nil
            }
            return timerDefinition(timer, node: index).map { ElementDetails(kind: .timerEventStart, timer: $0) }
        case .message(let reference)?:
            return messageDefinition(reference, node: index).map { ElementDetails(kind: .messageEventStart, message: $0) }
        case .signal(let reference)?:
            return signalDefinition(reference, node: index).map { ElementDetails(kind: .signalEventStart, message: $0) }
        case .error(let reference)?:
            guard node.isInterrupting else {
                report(.eventSubProcessInvalid, node: index, "an error start event always interrupts; isInterrupting=\"false\" is not valid")
                return nil
            }
            let code = thrownCode(.error, reference, node: index, required: false)
            if let reference, code == nil, !document.errors.contains(where: { $0.id == reference }) { return nil }
            return ElementDetails(kind: .errorEventStart, errorCode: code)
        case .escalation(let reference)?:
            let code = thrownCode(.escalation, reference, node: index, required: false)
            if let reference, code == nil, !document.escalations.contains(where: { $0.id == reference }) { return nil }
            return ElementDetails(kind: .escalationEventStart, errorCode: code)
        case nil:
            report(.eventSubProcessInvalid, node: index, "the start event of an event sub-process needs a trigger (timer, message, signal, error or escalation)")
            return nil
        case let other?:
            unsupported(index, "\(other.elementName.removingSuffix("EventDefinition")) start event of an event sub-process")
            return nil
        }
    }

    /// Multi-instance characteristics: an input collection (Camunda 8 `inputCollection`,
    /// Camunda 7 `camunda:collection`, an expression or a variable's name) or a loop
    /// cardinality, and the optional element variable, output collection and element, and
    /// completion condition.
    mutating func multiInstanceDefinition(_ loop: BPMNLoopCharacteristics, node index: Int32) -> MultiInstanceDefinition? {
        func expression(_ text: String?, _ what: String, variableName: Bool = false) -> ParsedExpression?? {
            guard let text = text?.trimmingCharacters(in: " \n\t\r"), !text.isEmpty else { return .some(nil) }
            let source = ParsedExpression.looksLikeExpression(text) ? text : "=\(text)"
            if !ParsedExpression.looksLikeExpression(text), variableName, !Self.isVariableName(text), Double(text) == nil {
                report(.multiInstanceInvalid, node: index, "\(what) '\(text.prefix(80))' is neither an expression nor a variable name")
                return nil
            }
            do {
                return .some(try ParsedExpression.parse(source))
            } catch {
                report(.multiInstanceInvalid, node: index, "\(what) '\(text.prefix(80))': \(error)")
                return nil
            }
        }
        func name(_ text: String?, _ what: String) -> String?? {
            guard let text = text?.trimmingCharacters(in: " \n\t\r"), !text.isEmpty else { return .some(nil) }
            guard Self.isVariableName(text) else {
                report(.multiInstanceInvalid, node: index, "\(what) '\(text.prefix(80))' must be a variable name")
                return nil
            }
            return .some(text)
        }
        guard let collection = expression(loop.inputCollection, "the input collection", variableName: true),
              let cardinality = expression(loop.loopCardinality, "loopCardinality"),
              let condition = expression(loop.completionCondition, "completionCondition"),
              let outputElement = expression(loop.outputElement, "outputElement"),
              let element = name(loop.inputElement, "the input element"),
              let output = name(loop.outputCollection, "outputCollection")
        else { return nil }
        guard collection != nil || cardinality != nil else {
            report(.multiInstanceInvalid, node: index,
                   "multi-instance needs an input collection (<zeebe:loopCharacteristics inputCollection=\"=items\"/> or camunda:collection) or a <loopCardinality>")
            return nil
        }
        if outputElement != nil, output == nil {
            report(.multiInstanceInvalid, node: index, "outputElement is set but outputCollection is not: name the variable that collects the results")
            return nil
        }
        return MultiInstanceDefinition(
            isSequential: loop.isSequential, inputCollection: collection, cardinality: collection == nil ? cardinality : nil,
            inputElement: element, outputCollection: output, outputElement: outputElement, completionCondition: condition)
    }

    static func isVariableName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first.properties.isAlphabetic || first == "_" else { return false }
        return text.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0 == "_" || ("0"..."9").contains($0) }
    }

    /// A call activity: the called process (an id or an expression), the version binding
    /// (latest, a fixed version, the caller's deployment, or a version tag), and how
    /// variables cross in each Camunda generation.
    mutating func callActivity(_ index: Int32) -> ElementDetails? {
        let node = nodes[Int(index)]
        let details = node.callDetails
        guard let called = node.calledElement?.trimmingCharacters(in: " \n\t\r"), !called.isEmpty else {
            report(.callActivityInvalid, node: index, "a call activity needs the process it calls: calledElement=\"...\" or <zeebe:calledElement processId=\"...\"/>")
            return nil
        }
        var expression: ParsedExpression?
        if ParsedExpression.looksLikeExpression(called) {
            do {
                expression = try ParsedExpression.parse(called)
            } catch {
                report(.callActivityInvalid, node: index, "called element '\(called.prefix(80))': \(error)")
                return nil
            }
        }
        let binding: CallDefinition.Binding
        switch details.binding ?? "latest" {
        case "latest": binding = .latest
        case "deployment": binding = .deployment
        case "version":
            guard let text = details.version, let number = Int32(text), number > 0 else {
                report(.callActivityInvalid, node: index, "calledElementBinding=\"version\" needs camunda:calledElementVersion with a version number, not '\(details.version ?? "")'")
                return nil
            }
            binding = .version(number)
        case "versionTag":
            guard let tag = details.versionTag, !tag.isEmpty else {
                report(.callActivityInvalid, node: index, "binding by version tag needs the tag: camunda:calledElementVersionTag=\"...\" or <zeebe:calledElement versionTag=\"...\"/>")
                return nil
            }
            binding = .versionTag(tag)
        case let other:
            report(.callActivityInvalid, node: index, "binding '\(other.prefix(40))' is none of latest, deployment, version and versionTag")
            return nil
        }
        guard var result = withMappings(ElementDetails(kind: .callActivity), node: index),
              let camundaIn = compileMappings(details.camundaIn, node: node),
              let camundaOut = compileMappings(details.camundaOut, node: node)
        else { return nil }
        result.inputs += camundaIn
        result.call = CallDefinition(
            processId: expression == nil ? called : "", processIdExpression: expression, binding: binding,
            passesAllVariablesIn: details.camunda8 ? details.propagateAllParentVariables ?? true : details.camundaInAll,
            passesAllVariablesOut: details.camunda8 ? details.propagateAllChildVariables ?? true : details.camundaOutAll,
            outputs: camundaOut)
        return result
    }
}
