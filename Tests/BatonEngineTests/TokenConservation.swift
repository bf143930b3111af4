import BatonEngine
import BatonModel

/// Token conservation, checked over the records that one command produced (issue 8).
///
/// It follows every token of the touched instances through the step with nothing but the
/// records, the process graph and the state before the step, independently of how the
/// engine moves tokens:
/// - a token that leaves an element with outgoing flows takes at least one of them in the
///   same step, and every flow taken reaches its target in the same step (an activation,
///   or an arrival at a joining gateway that the state keeps), unless its scope ended;
/// - an element is activated only where a token arrived: through a flow, a join whose
///   branches arrived, a scope's start event or a boundary event;
/// - a scope (sub-process or instance) completes only with no element active in it, no
///   token in flight and none waiting at a join (a terminate end event ends them first);
/// - an instance completes with no open incident;
/// - after the step, the element instances, join arrivals, incidents and child counters
///   the state holds are exactly those the records account for.
struct TokenConservation {
    private struct Element {
        let index: Int32
        let scope: Int64
    }

    private struct Arrival: Hashable {
        let scope: Int64
        let element: Int32
    }

    /// What the step's records say about one instance.
    private struct InstanceTokens {
        let key: Int64
        let process: ExecutableProcess
        var elements: [Int64: Element]
        var joins: [Arrival: [Int32: Int32]]
        var incidents: Set<Int64>
        /// Tokens that took a flow and have not arrived yet, by scope and target.
        var inFlight: [Arrival: Int] = [:]
        /// Element instances that completed and must take a flow.
        var leaving: [Int64: Element] = [:]
        /// Element instances that took a flow in this step, with the flows they took.
        var left: [Int64: Set<Int32>] = [:]
        var completed = false

        init(key: Int64, process: ExecutableProcess) {
            self.key = key
            self.process = process
            elements = [:]
            joins = [:]
            incidents = []
        }

        init(_ state: InstanceState, process: ExecutableProcess) {
            key = state.key
            self.process = process
            elements = state.elements.mapValues { Element(index: $0.elementIndex, scope: $0.flowScopeKey) }
            joins = Dictionary(uniqueKeysWithValues: state.joins.map { (Arrival(scope: $0.key.scopeKey, element: $0.key.gateway), $0.value) })
            incidents = Set(state.incidents.keys)
        }

        func name(_ element: Int32) -> String { process[element: element].id }

        func isJoin(_ element: Int32) -> Bool {
            let node = process[element: element]
            return (node.kind == .parallelGateway || node.kind == .inclusiveGateway) && node.incoming.count > 1
        }

        /// Why the scope cannot be done yet, or nil.
        func stillHolds(scope: Int64) -> String? {
            if let active = elements.first(where: { $0.value.scope == scope }) {
                return "element '\(name(active.value.index))' (\(active.key)) is still active in it"
            }
            if let flying = inFlight.first(where: { $0.key.scope == scope && $0.value > 0 }) {
                return "a token is still on its way to '\(name(flying.key.element))'"
            }
            if let leaving = leaving.first(where: { $0.value.scope == scope }) {
                return "element '\(name(leaving.value.index))' (\(leaving.key)) left and has not taken a flow"
            }
            if let waiting = joins.first(where: { $0.key.scope == scope && $0.value.values.contains { $0 > 0 } }) {
                return "a token waits at join '\(name(waiting.key.element))'"
            }
            return nil
        }

        /// A scope ended (terminated, or by a terminate end event): its tokens end with it.
        mutating func discardTokens(in scope: Int64) {
            inFlight = inFlight.filter { $0.key.scope != scope }
            leaving = leaving.filter { $0.value.scope != scope }
            joins = joins.filter { $0.key.scope != scope }
        }
    }

    private let processes: ProcessRegistry
    private var instances: [Int64: InstanceTokens] = [:]
    private(set) var violations: [String] = []

    /// Checks one command's records against the state before and after it; returns the
    /// violations, each naming the record at fault.
    static func check(before: EngineState, records: [Record], after: EngineState, processes: ProcessRegistry) -> [String] {
        var checker = TokenConservation(processes: processes)
        for (index, record) in records.enumerated() where record.recordType == .event {
            checker.follow(record, at: index, before: before)
        }
        checker.finish(after: after)
        return checker.violations
    }

    private init(processes: ProcessRegistry) {
        self.processes = processes
    }

    private mutating func fail(_ index: Int, _ record: Record, _ message: String) {
        violations.append("record \(index) (\(record.intent)): \(message)")
    }

    private mutating func follow(_ record: Record, at index: Int, before: EngineState) {
        let instanceKey = record.value.instanceKey
        // Messages, signals, ingested events, commands for other partitions and subscriptions
        // held for instances elsewhere move no token of this partition.
        if case .message = record.value, instanceKey == 0 || record.intent == .messageCorrelated && record.value.instanceKey >> 56 != Int64(record.partition) { return }
        if record.recordType == .command || record.intent == .remoteSubscriptionOpened || record.intent == .remoteSubscriptionClosed { return }
        // The timers of timer start events belong to no instance.
        if case .timer = record.value, instanceKey == 0 { return }
        if record.intent == .instanceCreated, case .instance(let value) = record.value {
            guard let deployed = processes.process(id: value.processId, version: value.processVersion) else { return }
            instances[instanceKey] = InstanceTokens(key: instanceKey, process: deployed.process)
            return
        }
        if instances[instanceKey] == nil {
            guard let state = before.instances[instanceKey],
                  let deployed = processes.process(id: state.processId, version: state.processVersion)
            else {
                fail(index, record, "instance \(instanceKey) is not active")
                return
            }
            instances[instanceKey] = InstanceTokens(state, process: deployed.process)
        }
        var tokens = instances[instanceKey]!
        if tokens.completed {
            fail(index, record, "instance \(instanceKey) already completed in this step")
            return
        }
        var problems: [String] = []
        switch (record.intent, record.value) {
        case (.elementActivated, .element(let value)): Self.activated(value, &tokens, &problems)
        case (.elementCompleted, .element(let value)): Self.completed(value, &tokens, &problems)
        case (.elementTerminated, .element(let value)): Self.terminated(value, &tokens, &problems)
        case (.sequenceFlowTaken, .element(let value)): Self.taken(value, &tokens, &problems)
        case (.incidentCreated, .incident(let value)): tokens.incidents.insert(value.incidentKey)
        case (.incidentResolved, .incident(let value)):
            if tokens.incidents.remove(value.incidentKey) == nil { problems.append("incident \(value.incidentKey) is not open") }
        case (.instanceCanceled, _):
            if let active = tokens.elements.first {
                problems.append("the instance was canceled with element '\(tokens.name(active.value.index))' (\(active.key)) still active")
            }
            if let incident = tokens.incidents.first { problems.append("the instance was canceled with incident \(incident) open") }
            tokens.completed = true
        case (.instanceCompleted, _):
            if let reason = tokens.stillHolds(scope: instanceKey) { problems.append("the instance completed while \(reason)") }
            if let incident = tokens.incidents.first { problems.append("the instance completed with incident \(incident) open") }
            if let active = tokens.elements.first {
                problems.append("the instance completed with element '\(tokens.name(active.value.index))' (\(active.key)) active")
            }
            tokens.completed = true
        default:
            break
        }
        for problem in problems { fail(index, record, problem) }
        instances[instanceKey] = tokens
    }

    private static func activated(_ value: ElementRecord, _ tokens: inout InstanceTokens, _ problems: inout [String]) {
        let element = tokens.process[element: value.elementIndex]
        let name = element.id
        let scopeElement: Int32? = value.flowScopeKey == tokens.key ? nil : tokens.elements[value.flowScopeKey]?.index
        if value.flowScopeKey != tokens.key && scopeElement == nil {
            problems.append("'\(name)' activated in scope \(value.flowScopeKey), which is not active")
        } else if element.scope != scopeElement {
            problems.append("'\(name)' activated in a scope that does not contain it")
        }
        let arrival = Arrival(scope: value.flowScopeKey, element: value.elementIndex)
        let startedByBody = element.scope.map { tokens.process[element: $0].kind == .multiInstanceBody } ?? false
        if element.kind == .noneStartEvent || element.kind == .messageStartEvent || element.kind == .signalStartEvent || element.kind == .timerStartEvent || element.kind.isBoundaryEvent || element.kind == .linkCatchEvent
            || startedByBody || element.kind == .eventSubProcess || element.kind.startsEventSubProcess
        {
            // A scope's entry, a boundary event's trigger, where a link throw event goes on, an
            // inner instance its multi-instance body starts, or an event sub-process its
            // trigger starts: no flow leads here.
        } else if tokens.isJoin(value.elementIndex) {
            var arrivals = tokens.joins[arrival] ?? [:]
            if element.kind == .parallelGateway, let missing = element.incoming.first(where: { (arrivals[$0] ?? 0) == 0 }) {
                problems.append("parallel join '\(name)' fired with no token on flow '\(tokens.process[flow: missing].id)'")
            }
            if !arrivals.values.contains(where: { $0 > 0 }) { problems.append("join '\(name)' fired with no token waiting") }
            for (flow, count) in arrivals { arrivals[flow] = count > 1 ? count - 1 : nil }
            tokens.joins[arrival] = arrivals.isEmpty ? nil : arrivals
        } else if let waiting = tokens.inFlight[arrival], waiting > 0 {
            tokens.inFlight[arrival] = waiting - 1
        } else {
            problems.append("'\(name)' activated with no token on its way to it")
        }
        tokens.elements[value.elementInstanceKey] = Element(index: value.elementIndex, scope: value.flowScopeKey)
    }

    private static func completed(_ value: ElementRecord, _ tokens: inout InstanceTokens, _ problems: inout [String]) {
        guard let element = tokens.elements.removeValue(forKey: value.elementInstanceKey) else {
            problems.append("element instance \(value.elementInstanceKey) completed but is not active")
            return
        }
        let node = tokens.process[element: element.index]
        if node.kind == .subProcess || node.kind == .multiInstanceBody || node.kind == .eventSubProcess {
            if let reason = tokens.stillHolds(scope: value.elementInstanceKey) {
                problems.append("\(node.kind == .subProcess ? "sub-process" : "multi-instance activity") '\(node.id)' completed while \(reason)")
            }
            tokens.discardTokens(in: value.elementInstanceKey)
        }
        if node.kind == .terminateEndEvent {
            if let other = tokens.elements.first(where: { $0.value.scope == element.scope }) {
                problems.append("terminate end '\(node.id)' left '\(tokens.name(other.value.index))' (\(other.key)) active")
            }
            tokens.discardTokens(in: element.scope)
        } else if !node.outgoing.isEmpty {
            tokens.leaving[value.elementInstanceKey] = element
        }
    }

    private static func terminated(_ value: ElementRecord, _ tokens: inout InstanceTokens, _ problems: inout [String]) {
        guard let element = tokens.elements.removeValue(forKey: value.elementInstanceKey) else {
            problems.append("element instance \(value.elementInstanceKey) terminated but is not active")
            return
        }
        if let child = tokens.elements.first(where: { $0.value.scope == value.elementInstanceKey }) {
            problems.append("'\(tokens.name(element.index))' terminated before its child '\(tokens.name(child.value.index))' (\(child.key))")
        }
        tokens.discardTokens(in: value.elementInstanceKey)
    }

    private static func taken(_ value: ElementRecord, _ tokens: inout InstanceTokens, _ problems: inout [String]) {
        let flow = tokens.process[flow: value.flowIndex]
        let source = value.elementInstanceKey
        if let leaving = tokens.leaving.removeValue(forKey: source) {
            if leaving.index != flow.source || leaving.scope != value.flowScopeKey {
                problems.append("flow '\(flow.id)' taken by element instance \(source), which is '\(tokens.name(leaving.index))'")
            }
            tokens.left[source] = [value.flowIndex]
        } else if tokens.left[source]?.insert(value.flowIndex).inserted == true {
            // Another outgoing flow of the same departure (a fork).
        } else {
            problems.append("flow '\(flow.id)' taken with no token leaving '\(tokens.name(flow.source))' (element instance \(source))")
        }
        let arrival = Arrival(scope: value.flowScopeKey, element: flow.target)
        if tokens.isJoin(flow.target) {
            tokens.joins[arrival, default: [:]][value.flowIndex, default: 0] += 1
        } else {
            tokens.inFlight[arrival, default: 0] += 1
        }
    }

    /// Every token of the step has arrived, and the state holds what the records say.
    private mutating func finish(after: EngineState) {
        for tokens in instances.values.sorted(by: { $0.key < $1.key }) {
            let prefix = "after the step, instance \(tokens.key):"
            guard !tokens.completed else {
                if after.instances[tokens.key] != nil { violations.append("\(prefix) completed but still in the state") }
                continue
            }
            guard let state = after.instances[tokens.key] else {
                violations.append("\(prefix) gone from the state without completing")
                continue
            }
            for (arrival, count) in tokens.inFlight where count > 0 {
                violations.append("\(prefix) a token took a flow to '\(tokens.name(arrival.element))' and never arrived")
            }
            for (key, element) in tokens.leaving {
                violations.append("\(prefix) '\(tokens.name(element.index))' (\(key)) completed and took no flow")
            }
            if Set(state.elements.keys) != Set(tokens.elements.keys) {
                violations.append("\(prefix) the state holds elements \(state.elements.keys.sorted()), the records account for \(tokens.elements.keys.sorted())")
            }
            let joins = Dictionary(uniqueKeysWithValues: state.joins.map { (Arrival(scope: $0.key.scopeKey, element: $0.key.gateway), $0.value) })
            if joins != tokens.joins.filter({ !$0.value.isEmpty }) {
                violations.append("\(prefix) the state's join arrivals differ from those the records account for")
            }
            if Set(state.incidents.keys) != tokens.incidents {
                violations.append("\(prefix) the state's open incidents differ from those the records account for")
            }
            let rootCount = tokens.elements.values.filter { $0.scope == tokens.key }.count
            if Int(state.rootChildren) != rootCount {
                violations.append("\(prefix) rootChildren is \(state.rootChildren) for \(rootCount) active elements")
            }
            for (key, element) in state.elements {
                let count = tokens.elements.values.filter { $0.scope == key }.count
                if Int(element.activeChildren) != count {
                    violations.append("\(prefix) element \(key) counts \(element.activeChildren) children for \(count) active")
                }
            }
        }
    }
}
