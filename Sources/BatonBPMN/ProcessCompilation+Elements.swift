import BatonModel

/// What a flow node compiles to, before indexes of flows and boundary events are filled in.
struct ElementDetails {
    var kind: ElementKind
    var task: TaskDefinition?
    var timer: TimerDefinition?
    var errorCode: String?
    var script: ScriptDefinition?
    var message: MessageDefinition?
    /// Link throw events: the name of the link catch event they go on at (resolved to an
    /// index once every node is classified, `resolveLinks`).
    var linkName: String?
    /// Multi-instance activities: split into a body and the inner activity by `build()`.
    var multiInstance: MultiInstanceDefinition?
    var call: CallDefinition?
    var inputs: [VariableMapping] = []
    var outputs: [VariableMapping] = []
}

extension ProcessCompilation {
    /// Maps a flow node to the kind Baton executes it as, reporting what is unsupported or
    /// incomplete.
    mutating func classify(_ index: Int32) -> ElementDetails? {
        let node = nodes[Int(index)]
        if let loop = node.loop {
            guard loop.kind == .multiInstance else {
                unsupported(index, "\(node.kind.rawValue) with a standard loop")
                return nil
            }
            guard node.kind.isActivity, !node.triggeredByEvent else {
                unsupported(index, "\(node.kind.rawValue) with multi-instance")
                return nil
            }
            guard let definition = multiInstanceDefinition(loop, node: index) else { return nil }
            var details = classifyOnce(index)
            details?.multiInstance = definition
            return details
        }
        return classifyOnce(index)
    }

    /// What the flow node is without its loop characteristics.
    mutating func classifyOnce(_ index: Int32) -> ElementDetails? {
        let node = nodes[Int(index)]
        let compensates = node.eventDefinitions.contains { if case .compensate = $0 { true } else { false } }
        if node.isForCompensation || compensates {
            let what = node.isForCompensation ? "a compensation handler (isForCompensation=\"true\")" : "\(node.kind.rawValue) with compensateEventDefinition"
            report(.unsupportedElement, node: index, "\(what): compensation is not supported by Baton (no compensation handler ever runs); model the undo as a path of its own, for example after an error boundary event")
            return nil
        }
        let definitions = node.eventDefinitions
        if definitions.count > 1 {
            unsupported(index, "\(node.kind.rawValue) with \(definitions.count) event definitions")
            return nil
        }
        let definition = definitions.first
        if node.kind == .startEvent, let scope = nodeScopes[Int(index)], nodes[Int(scope)].triggeredByEvent {
            return eventSubProcessStart(index, definition)
        }
        switch (node.kind, definition) {
        case (.startEvent, nil):
            return ElementDetails(kind: .noneStartEvent)
        case (.endEvent, nil):
            return ElementDetails(kind: .noneEndEvent)
        case (.endEvent, .terminate?):
            return ElementDetails(kind: .terminateEndEvent)
        case (.endEvent, .error(let reference)?):
            guard let code = thrownCode(.error, reference, node: index, required: true) else { return nil }
            return ElementDetails(kind: .errorEndEvent, errorCode: code)
        case (.intermediateThrowEvent, nil):
            return ElementDetails(kind: .noneThrowEvent)
        case (.intermediateThrowEvent, .escalation(let reference)?), (.endEvent, .escalation(let reference)?):
            guard let code = thrownCode(.escalation, reference, node: index, required: true) else { return nil }
            return ElementDetails(kind: node.kind == .endEvent ? .escalationEndEvent : .escalationThrowEvent, errorCode: code)
        case (.boundaryEvent, .escalation(let reference)?):
            let code = thrownCode(.escalation, reference, node: index, required: false)
            if let reference, code == nil, !document.escalations.contains(where: { $0.id == reference }) { return nil }
            return ElementDetails(kind: .escalationBoundaryEvent, errorCode: code)
        case (.startEvent, .timer(let timer)?):
            guard let definition = timerDefinition(timer, node: index) else { return nil }
            switch definition {
            case .durationExpression, .dateExpression, .cycleExpression:
                report(.timerInvalid, node: index, "a timer start event's timer is set when the process is deployed, before any instance has variables: write a literal ISO-8601 date, duration or cycle")
                return nil
            default:
                return ElementDetails(kind: .timerStartEvent, timer: definition)
            }
        case (.intermediateCatchEvent, .timer(let timer)?):
            return timerDefinition(timer, node: index).map { ElementDetails(kind: .timerCatchEvent, timer: $0) }
        case (.boundaryEvent, .error(let reference)?):
            guard node.cancelActivity else {
                report(.boundaryEventInvalid, node: index, "an error boundary event always interrupts; cancelActivity=\"false\" is not valid")
                return nil
            }
            let code = thrownCode(.error, reference, node: index, required: false)
            if let reference, code == nil, !document.errors.contains(where: { $0.id == reference }) { return nil }
            return ElementDetails(kind: .errorBoundaryEvent, errorCode: code)
        case (.boundaryEvent, .timer(let timer)?):
            return timerDefinition(timer, node: index).map { ElementDetails(kind: .timerBoundaryEvent, timer: $0) }
        case (.startEvent, .message(let reference)?):
            guard node.isInterrupting else {
                unsupported(index, "non-interrupting message start event (of an event sub-process)")
                return nil
            }
            return messageDefinition(reference, node: index).map { ElementDetails(kind: .messageStartEvent, message: $0) }
        case (.intermediateCatchEvent, .message(let reference)?):
            return messageDefinition(reference, node: index).map { ElementDetails(kind: .messageCatchEvent, message: $0) }
        case (.boundaryEvent, .message(let reference)?):
            return messageDefinition(reference, node: index).map { ElementDetails(kind: .messageBoundaryEvent, message: $0) }
        case (.startEvent, .signal(let reference)?):
            return signalDefinition(reference, node: index).map { ElementDetails(kind: .signalStartEvent, message: $0) }
        case (.intermediateCatchEvent, .signal(let reference)?):
            return signalDefinition(reference, node: index).map { ElementDetails(kind: .signalCatchEvent, message: $0) }
        case (.boundaryEvent, .signal(let reference)?):
            return signalDefinition(reference, node: index).map { ElementDetails(kind: .signalBoundaryEvent, message: $0) }
        case (.intermediateThrowEvent, .signal(let reference)?), (.endEvent, .signal(let reference)?):
            let kind: ElementKind = node.kind == .endEvent ? .signalEndEvent : .signalThrowEvent
            return signalDefinition(reference, node: index).flatMap { withMappings(ElementDetails(kind: kind, message: $0), node: index) }
        case (.receiveTask, nil):
            guard let message = messageDefinition(node.messageRef, node: index) else { return nil }
            return withMappings(ElementDetails(kind: .receiveTask, message: message), node: index)
        case (.intermediateThrowEvent, .link(let name)?), (.intermediateCatchEvent, .link(let name)?):
            guard let name, !name.isEmpty else {
                report(.linkInvalid, node: index, "a link event needs a name (linkEventDefinition name=\"...\"): a throw goes on at the catch of the same name")
                return nil
            }
            return ElementDetails(kind: node.kind == .intermediateThrowEvent ? .linkThrowEvent : .linkCatchEvent, linkName: name)
        case (.eventBasedGateway, nil):
            return ElementDetails(kind: .eventBasedGateway)
        case (.intermediateThrowEvent, .message(let reference)?):
            return messageSender(.messageThrowEvent, index, reference, what: "message intermediateThrowEvent")
        case (.endEvent, .message(let reference)?):
            return messageSender(.messageEndEvent, index, reference, what: "message endEvent")
        case (.sendTask, nil):
            return messageSender(.sendTask, index, node.messageRef, what: "sendTask")
        case (.businessRuleTask, nil):
            return externalTask(.businessRuleTask, index, what: "businessRuleTask")
        case (.task, nil):
            return withMappings(ElementDetails(kind: .undefinedTask), node: index)
        case (.manualTask, nil):
            return withMappings(ElementDetails(kind: .manualTask), node: index)
        case (.serviceTask, nil):
            guard let task = taskDefinition(index, defaultTopic: nil) else { return nil }
            return withMappings(ElementDetails(kind: .serviceTask, task: task), node: index)
        case (.userTask, nil):
            guard let task = taskDefinition(index, defaultTopic: TaskDefinition.userTaskTopic) else { return nil }
            return withMappings(ElementDetails(kind: .userTask, task: task), node: index)
        case (.scriptTask, nil):
            guard let script = scriptDefinition(index) else { return nil }
            return withMappings(ElementDetails(kind: .scriptTask, script: script), node: index)
        case (.callActivity, nil):
            return callActivity(index)
        case (.subProcess, nil) where !node.triggeredByEvent:
            return withMappings(ElementDetails(kind: .subProcess), node: index)
        case (.subProcess, nil):
            return withMappings(ElementDetails(kind: .eventSubProcess), node: index)
        case (.exclusiveGateway, nil):
            return ElementDetails(kind: .exclusiveGateway)
        case (.parallelGateway, nil):
            return ElementDetails(kind: .parallelGateway)
        case (.inclusiveGateway, nil):
            return ElementDetails(kind: .inclusiveGateway)
        case (.intermediateCatchEvent, nil), (.boundaryEvent, nil):
            report(.eventDefinitionMissing, node: index,
                   "\(node.kind == .boundaryEvent ? "a boundary" : "an intermediate catch") event needs an event definition (message, timer, error...): it says what it waits for")
            return nil
        default:
            unsupported(index, Self.constructName(node, definition))
            return nil
        }
    }

    /// Elements that Baton runs as external tasks when they name a topic: a worker sends
    /// the message (or evaluates the rule). Without a topic there is nothing to run them.
    private mutating func externalTask(_ kind: ElementKind, _ index: Int32, what: String) -> ElementDetails? {
        guard nodes[Int(index)].taskDefinition?.topic?.isEmpty == false else {
            unsupported(index, "\(what) without a task topic (<zeebe:taskDefinition type=\"...\"/> or camunda:type=\"external\" camunda:topic=\"...\": a worker sends the message)")
            return nil
        }
        guard let task = taskDefinition(index, defaultTopic: nil) else { return nil }
        return withMappings(ElementDetails(kind: kind, task: task), node: index)
    }

    /// An element that sends a message: an external task when it names a topic (a worker
    /// sends it), otherwise the engine throws the message to `baton.messages`.
    private mutating func messageSender(_ kind: ElementKind, _ index: Int32, _ reference: String?, what: String) -> ElementDetails? {
        if nodes[Int(index)].taskDefinition?.topic?.isEmpty == false { return externalTask(kind, index, what: what) }
        guard reference?.isEmpty == false else {
            unsupported(index, "\(what) with neither a task topic (<zeebe:taskDefinition type=\"...\"/> or camunda:type=\"external\" camunda:topic=\"...\": a worker sends the message) nor a messageRef (the engine publishes the message to \(Topics.messages))")
            return nil
        }
        guard let message = messageDefinition(reference, node: index) else { return nil }
        return withMappings(ElementDetails(kind: kind, message: message), node: index)
    }

    /// The message a catch event or receive task waits for: `messageRef` must name a
    /// `<message>` with a name; a Camunda 8 correlation key must parse.
    mutating func messageDefinition(_ reference: String?, node index: Int32) -> MessageDefinition? {
        guard let reference, !reference.isEmpty else {
            report(.messageReferenceInvalid, node: index, "the element has no messageRef: name the <message> it waits for")
            return nil
        }
        guard let declaration = document.messages.first(where: { $0.id == reference }) else {
            report(.messageReferenceInvalid, node: index, "messageRef '\(reference)' names no <message> of the file")
            return nil
        }
        guard let name = declaration.name, !name.isEmpty else {
            report(.messageReferenceInvalid, node: index, "<message id=\"\(reference)\"> (line \(declaration.line)) has no name; messages are published by name")
            return nil
        }
        guard !ParsedExpression.looksLikeExpression(name) else {
            report(.messageReferenceInvalid, node: index, "<message id=\"\(reference)\"> has the name '\(name.prefix(80))', an expression; Baton needs a literal message name")
            return nil
        }
        guard let key = declaration.correlationKey, !key.isEmpty else { return MessageDefinition(name: name) }
        let source = ParsedExpression.looksLikeExpression(key) ? key : "=\(key)"
        do {
            return MessageDefinition(name: name, correlationKey: try ParsedExpression.parse(source))
        } catch {
            report(.messageReferenceInvalid, node: index, "correlationKey '\(key.prefix(80))' of <message id=\"\(reference)\">: \(error)")
            return nil
        }
    }

    /// The signal a signal event names (`<signal name>`, or its id when it has no name, as
    /// Camunda 7 does). A signal has no correlation key: it reaches every subscription.
    mutating func signalDefinition(_ reference: String?, node index: Int32) -> MessageDefinition? {
        guard let reference, !reference.isEmpty else {
            report(.signalReferenceInvalid, node: index, "signalEventDefinition has no signalRef: name the <signal> it throws or waits for")
            return nil
        }
        guard let declaration = document.signals.first(where: { $0.id == reference }) else {
            report(.signalReferenceInvalid, node: index, "signalRef '\(reference)' names no <signal> of the file")
            return nil
        }
        let name = declaration.name.flatMap { $0.isEmpty ? nil : $0 } ?? declaration.id
        guard !ParsedExpression.looksLikeExpression(name), !name.contains("${") else {
            report(.signalReferenceInvalid, node: index, "<signal id=\"\(reference)\"> has the name '\(name.prefix(80))', an expression; Baton needs a literal signal name")
            return nil
        }
        guard name.utf8.count <= 1024 else {
            report(.signalReferenceInvalid, node: index, "<signal id=\"\(reference)\"> has a name of \(name.utf8.count) bytes; at most 1024")
            return nil
        }
        return MessageDefinition(name: name)
    }

    private static func constructName(_ node: BPMNFlowNode, _ definition: BPMNEventDefinition?) -> String {
        if node.kind == .subProcess, node.triggeredByEvent { return "event sub-process" }
        guard let definition else { return node.kind.rawValue }
        let trigger = definition.elementName.removingSuffix("EventDefinition")
        return "\(trigger) \(node.kind.rawValue)"
    }

    mutating func unsupported(_ index: Int32, _ construct: String) {
        report(.unsupportedElement, node: index,
               "\(construct) is not supported by Baton yet ('baton validate --help' lists what is)")
    }

    /// What an error or escalation event throws or catches, and how its problems read.
    enum ThrownKind: String {
        case error, escalation
        var rule: BPMNProblem.Rule { self == .error ? .errorReferenceInvalid : .escalationReferenceInvalid }
        var thrower: String { self == .error ? "an error end event" : "a throw or end event" }
    }

    /// The code of the `<error errorCode>` or `<escalation escalationCode>` a definition names.
    /// A boundary or start event without one (or without a reference) catches every one, as
    /// Zeebe accepts; a throwing event (`required`) must say which code it throws.
    mutating func thrownCode(_ kind: ThrownKind, _ reference: String?, node index: Int32, required: Bool) -> String? {
        let name = kind.rawValue
        guard let reference else {
            if required { report(kind.rule, node: index, "\(name)EventDefinition has no \(name)Ref; \(kind.thrower) must name the \(name) it throws") }
            return nil
        }
        let declared: String?? = kind == .error
            ? document.errors.first { $0.id == reference }.map(\.errorCode)
            : document.escalations.first { $0.id == reference }.map(\.code)
        guard let found = declared else {
            report(kind.rule, node: index, "\(name)Ref '\(reference)' names no <\(name)> of the file")
            return nil
        }
        guard let code = found, !code.isEmpty else {
            if required { report(kind.rule, node: index, "<\(name) id=\"\(reference)\"> has no \(name)Code: \(kind.thrower) must throw a code") }
            return nil
        }
        return code
    }

    mutating func timerDefinition(_ timer: BPMNTimer, node index: Int32) -> TimerDefinition? {
        let given = [timer.timeDuration, timer.timeDate, timer.timeCycle].compactMap { $0 }
        guard given.count == 1 else {
            report(.timerInvalid, node: index, "a timer needs exactly one of timeDuration, timeDate or timeCycle (found \(given.count))")
            return nil
        }
        if timer.timeCycle != nil, nodes[Int(index)].kind != .boundaryEvent, nodes[Int(index)].kind != .startEvent {
            // A catch event waits once and has nothing to repeat.
            report(.timerInvalid, node: index, "timeCycle repeats only on a timer start event or a non-interrupting boundary event; an intermediate timer waits once: use timeDuration or timeDate")
            return nil
        }
        let text = given[0]
        guard !text.isEmpty else {
            let field = timer.timeDuration != nil ? "timeDuration" : timer.timeDate != nil ? "timeDate" : "timeCycle"
            report(.timerInvalid, node: index, "the timer's \(field) is empty")
            return nil
        }
        do {
            if ParsedExpression.looksLikeExpression(text) {
                let expression = try ParsedExpression.parse(text)
                if timer.timeCycle != nil { return .cycleExpression(expression) }
                return timer.timeDuration != nil ? .durationExpression(expression) : .dateExpression(expression)
            }
            if timer.timeCycle != nil, CronSchedule.looksLikeCron(text) { return .cron(try CronSchedule(text)) }
            if timer.timeCycle != nil {
                let cycle = try ISO8601.cycle(text)
                return .cycle(repetitions: cycle.repetitions, intervalMilliseconds: cycle.intervalMilliseconds)
            }
            if timer.timeDuration != nil { return .duration(milliseconds: try ISO8601.durationMilliseconds(text)) }
            return .date(epochMilliseconds: try ISO8601.epochMilliseconds(text))
        } catch let error as ExpressionError {
            report(.timerInvalid, node: index, "timer '\(text)': \(error)")
        } catch {
            report(.timerInvalid, node: index, "\(error)")
        }
        return nil
    }

    private mutating func taskDefinition(_ index: Int32, defaultTopic: String?) -> TaskDefinition? {
        let node = nodes[Int(index)]
        let definition = node.taskDefinition
        if definition?.topic == nil, let java = node.javaImplementation, let topic = delegateTopics[java.value] {
            return TaskDefinition(topic: topic)
        }
        guard let topic = definition?.topic ?? defaultTopic, !topic.isEmpty else {
            if let java = node.javaImplementation {
                report(.serviceTaskWithoutTopic, node: index,
                       "the task runs Java code (\(java.attribute)=\"\(java.value.prefix(120))\"), which Baton cannot run: Baton hands work to external workers; replace it with camunda:type=\"external\" camunda:topic=\"...\", or deploy with --delegate-topic '\(java.value.prefix(120))=TOPIC', and run a worker for that topic (any language: 'baton worker --help')")
                return nil
            }
            report(.serviceTaskWithoutTopic, node: index,
                   "service task has no external task topic: add camunda:type=\"external\" camunda:topic=\"...\" (Camunda 7) or <zeebe:taskDefinition type=\"...\"/> (Camunda 8)")
            return nil
        }
        var retries = TaskDefinition.defaultRetries
        var retriesExpression: ParsedExpression?
        if let text = definition?.retries, ParsedExpression.looksLikeExpression(text) {
            do {
                retriesExpression = try ParsedExpression.parse(text)
            } catch {
                report(.retriesInvalid, node: index, "retries '\(text.prefix(80))' does not parse as an expression: \(error)")
                return nil
            }
        } else if let text = definition?.retries {
            guard let value = Int(text), (0...TaskDefinition.maximumRetries).contains(value) else {
                report(.retriesInvalid, node: index, "retries '\(text)' must be a whole number from 0 to \(TaskDefinition.maximumRetries), or an expression")
                return nil
            }
            retries = value
        }
        var priority = 0
        if let text = definition?.priority {
            guard let value = Int(text) else {
                report(.retriesInvalid, node: index, "taskPriority '\(text)' must be a whole number")
                return nil
            }
            priority = value
        }
        var topicExpression: ParsedExpression?
        if ParsedExpression.looksLikeExpression(topic) {
            do {
                topicExpression = try ParsedExpression.parse(topic)
            } catch {
                report(.serviceTaskWithoutTopic, node: index, "task type '\(topic.prefix(80))' does not parse as an expression: \(error)")
                return nil
            }
        }
        return TaskDefinition(topic: topic, topicExpression: topicExpression, retries: retries, retriesExpression: retriesExpression, priority: priority)
    }

    private mutating func scriptDefinition(_ index: Int32) -> ScriptDefinition? {
        let script = nodes[Int(index)].script ?? BPMNScript()
        let format = script.format?.lowercased()
        guard format == nil || format == "feel" || format == "juel" else {
            report(.scriptInvalid, node: index,
                   "scriptFormat '\(script.format ?? "")' would execute code; Baton evaluates script tasks as FEEL or JUEL expressions only")
            return nil
        }
        guard let text = script.text?.trimmingCharacters(in: " \n\t\r"), !text.isEmpty else {
            report(.scriptInvalid, node: index, "script task has no expression")
            return nil
        }
        guard let resultVariable = script.resultVariable, !resultVariable.isEmpty else {
            report(.scriptInvalid, node: index, "script task has no result variable (camunda:resultVariable or zeebe:script resultVariable)")
            return nil
        }
        let source = ParsedExpression.looksLikeExpression(text) ? text : (format == "juel" ? "${\(text)}" : "=\(text)")
        do {
            return ScriptDefinition(expression: try ParsedExpression.parse(source), resultVariable: resultVariable)
        } catch {
            report(.scriptInvalid, node: index, "script '\(text)': \(error)")
            return nil
        }
    }

    mutating func withMappings(_ details: ElementDetails, node index: Int32) -> ElementDetails? {
        var details = details
        let node = nodes[Int(index)]
        guard let inputs = compileMappings(node.inputMappings, node: node), let outputs = compileMappings(node.outputMappings, node: node) else {
            return nil
        }
        details.inputs = inputs
        details.outputs = outputs
        return details
    }

    /// Mappings as the engine evaluates them; nil (with every problem reported) when one is
    /// invalid.
    mutating func compileMappings(_ mappings: [BPMNMapping], node: BPMNFlowNode) -> [VariableMapping]? {
        var result: [VariableMapping] = []
        var valid = true
        for mapping in mappings {
            guard !mapping.target.isEmpty else {
                problems.append(problem(.mappingInvalid, node, mapping.line, "a variable mapping has no target name"))
                valid = false
                continue
            }
            guard ParsedExpression.looksLikeExpression(mapping.source) else {
                result.append(VariableMapping(source: .constant(mapping.source), target: mapping.target))
                continue
            }
            do {
                result.append(VariableMapping(source: .expression(try ParsedExpression.parse(mapping.source)), target: mapping.target))
            } catch {
                problems.append(problem(.mappingInvalid, node, mapping.line, "mapping to '\(mapping.target)': \(error)"))
                valid = false
            }
        }
        return valid ? result : nil
    }

    private func problem(
        _ rule: BPMNProblem.Rule, _ node: BPMNFlowNode, _ line: Int, _ message: String
    ) -> BPMNProblem {
        BPMNProblem(
            fileName: document.fileName, processId: process.id, elementId: node.id,
            elementKind: node.kind.rawValue, line: line, rule: rule, message: message)
    }
}

extension String {
    func removingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
