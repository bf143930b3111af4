import BatonModel

/// Checks on the shape of the graph: gateways, default flows, boundary events, start
/// events, reachability; and the final build of the executable graph.
extension ProcessCompilation {
    mutating func checkGateways() {
        for index in nodes.indices {
            let node = nodes[index]
            let element = Int32(index)
            let isChoice = node.kind == .exclusiveGateway || node.kind == .inclusiveGateway
            var defaultFlow: Int32?
            if let id = node.defaultFlow {
                if !isChoice {
                    report(.defaultFlowInvalid, node: element, "default flows are supported on exclusive and inclusive gateways only")
                } else if let flow = flowIndex[id], outgoing[index].contains(flow) {
                    defaultFlow = flow
                } else {
                    report(.defaultFlowInvalid, node: element, "default flow '\(id)' is not one of its outgoing sequence flows")
                }
            }
            guard details[index]?.kind.isGateway == true else { continue }
            if node.kind == .eventBasedGateway {
                checkEventBasedGateway(element)
                continue
            }
            if outgoing[index].isEmpty {
                report(.gatewayWithoutOutgoing, node: element, "gateway has no outgoing sequence flow")
                continue
            }
            guard node.kind == .exclusiveGateway, outgoing[index].count > 1 else { continue }
            let unconditioned = outgoing[index].filter { $0 != defaultFlow && flows[Int($0)].conditionExpression?.isEmpty ?? true }
            let names = unconditioned.map { "'\(flows[Int($0)].id)'" }.joined(separator: ", ")
            if unconditioned.count > 1 {
                report(.exclusiveGatewayAmbiguous, node: element,
                       "outgoing flows \(names) have no condition, so the choice is ambiguous; give each a condition and mark at most one as the default flow")
            } else if let defaultFlow, !unconditioned.isEmpty {
                report(.exclusiveGatewayAmbiguous, node: element,
                       "outgoing flow \(names) has no condition, so default flow '\(flows[Int(defaultFlow)].id)' would never be taken")
            }
        }
    }

    /// An event-based gateway waits for the first of the events its flows lead to: at least
    /// two, each an intermediate message or timer catch event, on unconditioned flows.
    private mutating func checkEventBasedGateway(_ element: Int32) {
        let flowsOut = outgoing[Int(element)]
        if flowsOut.count < 2 {
            report(.eventBasedGatewayInvalid, node: element, "an event-based gateway needs at least two outgoing flows (found \(flowsOut.count))")
        }
        for flow in flowsOut {
            if let condition = flows[Int(flow)].conditionExpression, !condition.isEmpty {
                report(.eventBasedGatewayInvalid, node: element, "outgoing flow '\(flows[Int(flow)].id)' has a condition; the flows of an event-based gateway cannot")
            }
            guard let (_, target) = flowEndpoints[Int(flow)] else { continue }
            let kind = details[Int(target)]?.kind
            if kind != .messageCatchEvent && kind != .timerCatchEvent && kind != .signalCatchEvent {
                report(.eventBasedGatewayInvalid, node: element,
                       "outgoing flow '\(flows[Int(flow)].id)' leads to \(nodes[Int(target)].kind.rawValue) '\(nodes[Int(target)].id)'; it must lead to an intermediate message, signal or timer catch event")
            }
        }
    }

    mutating func checkBoundaryEvents() {
        for index in nodes.indices where nodes[index].kind == .boundaryEvent {
            let node = nodes[index]
            let element = Int32(index)
            guard let reference = node.attachedToRef, let activity = nodeIndex[reference] else {
                report(.boundaryEventInvalid, node: element, "attachedToRef '\(node.attachedToRef ?? "")' names no activity of the process")
                continue
            }
            if !nodes[Int(activity)].kind.isActivity {
                report(.boundaryEventInvalid, node: element, "attachedToRef '\(reference)' is a \(nodes[Int(activity)].kind.rawValue), not an activity")
            } else if nodeScopes[Int(activity)] != nodeScopes[index] {
                report(.boundaryEventInvalid, node: element, "attachedToRef '\(reference)' is in another scope")
            }
            if !incoming[index].isEmpty {
                report(.boundaryEventInvalid, node: element, "a boundary event cannot have incoming sequence flows")
            }
        }
    }

    mutating func checkStartEvents() {
        for index in nodes.indices where nodes[index].kind == .startEvent && !incoming[index].isEmpty {
            report(.missingStartEvent, node: Int32(index), "a start event cannot have incoming sequence flows")
        }
        let rootStarts = noneStartEvents(in: nil)
        let otherStarts = nodes.indices.filter { nodeScopes[$0] == nil && [.messageStartEvent, .signalStartEvent, .timerStartEvent].contains(details[$0]?.kind) }
        if process.isExecutable {
            if rootStarts.isEmpty && otherStarts.isEmpty {
                report(.missingStartEvent, id: process.id, kind: "process", line: process.line,
                       "the process has no none, message, signal or timer start event, so no instance can be started")
            } else if rootStarts.count > 1 {
                report(.missingStartEvent, id: process.id, kind: "process", line: process.line,
                       "the process has \(rootStarts.count) none start events; Baton starts instances at exactly one")
            }
        }
        for index in nodes.indices where [.messageStartEvent, .signalStartEvent, .timerStartEvent].contains(details[index]?.kind) && nodeScopes[index] != nil {
            let trigger = details[index]?.kind == .messageStartEvent ? "message" : details[index]?.kind == .signalStartEvent ? "signal" : "timer"
            report(.missingStartEvent, node: Int32(index), "a \(trigger) start event inside an embedded sub-process is not valid BPMN (only event sub-processes have them)")
        }
        for index in nodes.indices where details[index]?.kind == .subProcess {
            let starts = noneStartEvents(in: Int32(index))
            if starts.count != 1 {
                report(.missingStartEvent, node: Int32(index), "an embedded sub-process needs exactly one none start event (found \(starts.count))")
            }
        }
        for index in nodes.indices where details[index]?.kind == .eventSubProcess {
            if !incoming[index].isEmpty || !outgoing[index].isEmpty {
                report(.eventSubProcessInvalid, node: Int32(index), "an event sub-process has no sequence flows in or out: its start event's trigger starts it")
            }
            let starts = nodes.indices.filter { nodeScopes[$0] == Int32(index) && nodes[$0].kind == .startEvent }
            if starts.count != 1 {
                report(.eventSubProcessInvalid, node: Int32(index), "an event sub-process needs exactly one start event, with its trigger (found \(starts.count))")
            }
        }
    }

    func eventSubProcessStart(in scope: Int32) -> Int32? {
        nodes.indices.first { nodeScopes[$0] == scope && details[$0]?.kind.startsEventSubProcess == true }.map { Int32($0) }
    }

    func noneStartEvents(in scope: Int32?) -> [Int32] {
        nodes.indices.filter { nodeScopes[$0] == scope && details[$0]?.kind == .noneStartEvent }.map { Int32($0) }
    }

    /// Each link throw event names exactly one link catch event of its scope; a throw has no
    /// outgoing flow and a catch no incoming one (BPMN 2.0.2 §10.5.6).
    mutating func resolveLinks() {
        for index in nodes.indices where details[index]?.kind == .linkThrowEvent || details[index]?.kind == .linkCatchEvent {
            let element = Int32(index)
            let name = details[index]!.linkName!
            if details[index]!.kind == .linkCatchEvent {
                if !incoming[index].isEmpty { report(.linkInvalid, node: element, "link catch event '\(name)' cannot have incoming sequence flows: link throw events lead to it") }
                continue
            }
            if !outgoing[index].isEmpty { report(.linkInvalid, node: element, "link throw event '\(name)' cannot have outgoing sequence flows: the token goes on at the link catch event") }
            let catches = nodes.indices.filter {
                nodeScopes[$0] == nodeScopes[index] && details[$0]?.kind == .linkCatchEvent && details[$0]?.linkName == name
            }
            switch catches.count {
            case 1: linkTargets[index] = Int32(catches[0])
            case 0: report(.linkInvalid, node: element, "no link catch event named '\(name)' in the same scope")
            default: report(.linkInvalid, node: element, "\(catches.count) link catch events are named '\(name)' in the same scope; a link goes to exactly one")
            }
        }
    }

    /// Every flow node must be reachable from a start event of its scope (through sequence
    /// flows and boundary events). Unreachable nodes inside an unreachable sub-process are
    /// reported once, at the sub-process.
    mutating func checkReachability() {
        var reached = [Bool](repeating: false, count: nodes.count)
        var pending: [Int] = []
        func visitScope(_ scope: Int32?) {
            for index in nodes.indices where nodeScopes[index] == scope {
                let node = nodes[index]
                if node.kind == .startEvent || (node.kind == .subProcess && node.triggeredByEvent) { pending.append(index) }
            }
        }
        visitScope(nil)
        var attached: [Int32: [Int]] = [:]
        for index in nodes.indices where nodes[index].kind == .boundaryEvent {
            if let activity = nodes[index].attachedToRef.flatMap({ nodeIndex[$0] }) { attached[activity, default: []].append(index) }
        }
        while let index = pending.popLast() {
            guard !reached[index] else { continue }
            reached[index] = true
            for flow in outgoing[index] {
                if let (_, target) = flowEndpoints[Int(flow)] { pending.append(Int(target)) }
            }
            pending.append(contentsOf: attached[Int32(index)] ?? [])
            if let target = linkTargets[index] { pending.append(Int(target)) }
            if nodes[index].kind.hasContent { visitScope(Int32(index)) }
        }
        for index in nodes.indices where !reached[index] {
            if let scope = nodeScopes[index], !reached[Int(scope)] { continue }
            // Inside a construct already reported as not run (an ad-hoc sub-process, whose
            // activities have no start event): one problem, not one per child.
            if insideUnsupportedScope(index) { continue }
            // A compensation handler is reached by an association, and reported as not run.
            if nodes[index].isForCompensation { continue }
            report(.unreachable, node: Int32(index), "cannot be reached from a start event")
        }
    }

    /// Builds the executable graph. Only called when there are no problems, so every node
    /// has details and every flow resolved.
    func build() -> ExecutableProcess {
        var boundaryEvents = [[Int32]](repeating: [], count: nodes.count)
        var attachedTo = [Int32?](repeating: nil, count: nodes.count)
        for index in nodes.indices where nodes[index].kind == .boundaryEvent {
            let activity = nodeIndex[nodes[index].attachedToRef!]!
            boundaryEvents[Int(activity)].append(Int32(index))
            attachedTo[index] = activity
        }
        var elements = nodes.indices.map { index in
            let node = nodes[index]
            let detail = details[index]!
            return ExecutableElement(
                id: node.id, name: node.name, kind: detail.kind, scope: nodeScopes[index],
                incoming: incoming[index], outgoing: outgoing[index],
                defaultFlow: node.defaultFlow.flatMap { flowIndex[$0] },
                boundaryEvents: boundaryEvents[index], attachedTo: attachedTo[index],
                cancelActivity: detail.kind.startsEventSubProcess ? node.isInterrupting : node.cancelActivity,
                innerStartEvent: detail.kind == .subProcess ? noneStartEvents(in: Int32(index)).first
                    : detail.kind == .eventSubProcess ? eventSubProcessStart(in: Int32(index)) : nil,
                task: detail.task, timer: detail.timer, errorCode: detail.errorCode, script: detail.script,
                message: detail.message, linkTarget: linkTargets[index], call: detail.call, inputs: detail.inputs, outputs: detail.outputs)
        }
        var executableFlows = flows.indices.map { index in
            let (source, target) = flowEndpoints[index]!
            return ExecutableFlow(id: flows[index].id, source: source, target: target, condition: flowConditions[index])
        }
        for index in nodes.indices {
            if let definition = details[index]!.multiInstance { splitMultiInstance(Int32(index), definition, &elements, &executableFlows) }
        }
        return ExecutableProcess(
            processId: process.id, name: process.name, elements: elements, flows: executableFlows,
            startEvent: noneStartEvents(in: nil).first ?? -1, versionTag: process.versionTag)
    }

    /// A multi-instance activity becomes two elements with its id: a body (appended) that
    /// takes over its flows and boundary events, and the activity itself, now inside the
    /// body, which runs it once per item. The activity keeps its index, so the elements of
    /// a multi-instance sub-process stay in its scope.
    private func splitMultiInstance(_ index: Int32, _ definition: MultiInstanceDefinition, _ elements: inout [ExecutableElement], _ flows: inout [ExecutableFlow]) {
        let activity = elements[Int(index)]
        let body = Int32(elements.count)
        elements.append(ExecutableElement(
            id: activity.id, name: activity.name, kind: .multiInstanceBody, scope: activity.scope, incoming: activity.incoming,
            outgoing: activity.outgoing, defaultFlow: activity.defaultFlow, boundaryEvents: activity.boundaryEvents,
            multiInstance: definition.running(index)))
        elements[Int(index)] = activity.placed(scope: body, incoming: [], outgoing: [], defaultFlow: nil, boundaryEvents: [], attachedTo: nil)
        for boundary in activity.boundaryEvents {
            let event = elements[Int(boundary)]
            elements[Int(boundary)] = event.placed(
                scope: event.scope, incoming: event.incoming, outgoing: event.outgoing, defaultFlow: event.defaultFlow,
                boundaryEvents: event.boundaryEvents, attachedTo: body)
        }
        for flow in flows.indices where flows[flow].source == index || flows[flow].target == index {
            let old = flows[flow]
            flows[flow] = ExecutableFlow(
                id: old.id, source: old.source == index ? body : old.source, target: old.target == index ? body : old.target,
                condition: old.condition)
        }
    }

    /// Whether an enclosing sub-process of the node could not be classified (unsupported or
    /// invalid, and reported as such).
    func insideUnsupportedScope(_ index: Int) -> Bool {
        var scope = nodeScopes[index]
        while let enclosing = scope {
            if details[Int(enclosing)] == nil { return true }
            scope = nodeScopes[Int(enclosing)]
        }
        return false
    }
}
