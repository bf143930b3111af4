import BatonModel

/// Shared token movement: activate, leave, take flows, finish scopes, terminate. Element
/// behaviours call these; only these write element and flow events.
extension StepWriter {
    func deployed(_ instanceKey: Int64) -> DeployedProcess {
        let instance = state.instances[instanceKey]!
        return processes.process(id: instance.processId, version: instance.processVersion)!
    }

    func token(_ instanceKey: Int64, _ elementInstanceKey: Int64) -> Token? {
        guard let element = state.instances[instanceKey]?.elements[elementInstanceKey] else { return nil }
        return Token(
            instanceKey: instanceKey, elementInstanceKey: elementInstanceKey, elementIndex: element.elementIndex,
            flowScopeKey: element.flowScopeKey, deployed: deployed(instanceKey))
    }

    /// Runs queued token movements of an instance until every token waits or ends, then
    /// fires inclusive joins that no token can reach any more, and repeats.
    mutating func drain(_ instanceKey: Int64, _ agenda: [TokenWork]) {
        var queue = agenda
        var next = 0
        while true {
            while next < queue.count {
                guard state.instances[instanceKey] != nil else { return }
                let work = queue[next]
                next += 1
                // Work queued for a scope that has since ended (terminated, or left through
                // a boundary event) is dropped with it.
                switch work {
                case .activate(_, let scopeKey), .take(_, let scopeKey), .scopeCheck(let scopeKey):
                    guard scopeKey == instanceKey || state.instances[instanceKey]!.elements[scopeKey] != nil else { continue }
                }
                switch work {
                case .activate(let element, let scopeKey):
                    activate(element, in: scopeKey, instanceKey, &queue)
                case .take(let flow, let scopeKey):
                    take(flow, in: scopeKey, instanceKey, &queue)
                case .scopeCheck(let scopeKey):
                    finishScopeIfDone(scopeKey, instanceKey, &queue)
                }
            }
            guard state.instances[instanceKey] != nil, let join = readyInclusiveJoin(instanceKey) else { return }
            queue.append(.activate(element: join.gateway, scopeKey: join.scopeKey))
        }
    }

    private mutating func activate(_ element: Int32, in scopeKey: Int64, _ instanceKey: Int64, _ queue: inout [TokenWork]) {
        let key = nextKey()
        write(.elementActivated, .element(ElementRecord(instanceKey: instanceKey, elementInstanceKey: key, elementIndex: element, flowScopeKey: scopeKey)))
        let token = Token(instanceKey: instanceKey, elementInstanceKey: key, elementIndex: element, flowScopeKey: scopeKey, deployed: deployed(instanceKey))
        activations += 1
        guard activations <= configuration.maximumActivationsPerCommand else {
            raiseIncident(.stepLimitExceeded, token,
                          "the token passed more than \(configuration.maximumActivationsPerCommand) elements in one step; is there a loop without a wait state?")
            return
        }
        ElementBehaviors.run(token, &self, &queue)
    }

    /// Completes the token's element and sends it along `flows` (nil: every outgoing flow).
    mutating func leave(_ token: Token, flows: [Int32]? = nil, _ queue: inout [TokenWork]) {
        cancelTimers(of: token.elementInstanceKey, token.instanceKey)
        write(.elementCompleted, .element(ElementRecord(
            instanceKey: token.instanceKey, elementInstanceKey: token.elementInstanceKey, elementIndex: token.elementIndex,
            flowScopeKey: token.flowScopeKey)))
        let taken = flows ?? token.element.outgoing
        if taken.isEmpty {
            queue.append(.scopeCheck(scopeKey: token.flowScopeKey))
        } else {
            for flow in taken { queue.append(.take(flow: flow, scopeKey: token.flowScopeKey)) }
        }
    }

    private mutating func take(_ flow: Int32, in scopeKey: Int64, _ instanceKey: Int64, _ queue: inout [TokenWork]) {
        write(.sequenceFlowTaken, .element(ElementRecord(instanceKey: instanceKey, elementInstanceKey: 0, elementIndex: -1, flowScopeKey: scopeKey, flowIndex: flow)))
        let deployed = deployed(instanceKey)
        let target = deployed.process[flow: flow].target
        guard deployed.isJoin(target) else {
            queue.append(.activate(element: target, scopeKey: scopeKey))
            return
        }
        // A parallel join fires when every incoming flow holds a token; inclusive joins are
        // checked when the instance is otherwise still (see `drain`).
        guard deployed.process[element: target].kind == .parallelGateway else { return }
        let arrivals = state.instances[instanceKey]!.joins[JoinPoint(scopeKey: scopeKey, gateway: target)] ?? [:]
        if deployed.process[element: target].incoming.allSatisfy({ (arrivals[$0] ?? 0) > 0 }) {
            queue.append(.activate(element: target, scopeKey: scopeKey))
        }
    }

    /// An inclusive join with tokens waiting that no other token of its scope can still reach.
    private func readyInclusiveJoin(_ instanceKey: Int64) -> JoinPoint? {
        let instance = state.instances[instanceKey]!
        let deployed = deployed(instanceKey)
        let candidates = instance.joins.keys
            .filter { deployed.process[element: $0.gateway].kind == .inclusiveGateway }
            .sorted { ($0.scopeKey, $0.gateway) < ($1.scopeKey, $1.gateway) }
        for join in candidates {
            let upstream = deployed.inclusiveUpstream[join.gateway] ?? []
            let blockedByToken = instance.elements.values.contains { $0.flowScopeKey == join.scopeKey && upstream.contains($0.elementIndex) }
            let blockedByJoin = instance.joins.keys.contains { $0.scopeKey == join.scopeKey && $0.gateway != join.gateway && upstream.contains($0.gateway) }
            if !blockedByToken && !blockedByJoin { return join }
        }
        return nil
    }

    /// A scope with no active element and no waiting token is done: a sub-process leaves,
    /// the process instance completes.
    private mutating func finishScopeIfDone(_ scopeKey: Int64, _ instanceKey: Int64, _ queue: inout [TokenWork]) {
        let instance = state.instances[instanceKey]!
        if scopeKey == instanceKey {
            guard instance.rootChildren == 0, !instance.joins.keys.contains(where: { $0.scopeKey == scopeKey }) else { return }
            completeInstance(instanceKey)
        } else {
            guard let scope = instance.elements[scopeKey], scope.activeChildren == 0,
                !instance.joins.keys.contains(where: { $0.scopeKey == scopeKey }),
                let token = token(instanceKey, scopeKey)
            else { return }
            SubProcessBehavior.complete(token, &self, &queue)
        }
    }

    mutating func completeInstance(_ instanceKey: Int64) {
        let instance = state.instances[instanceKey]!
        write(.instanceCompleted, .instance(InstanceRecord(instanceKey: instanceKey, processId: instance.processId, processVersion: instance.processVersion, businessKey: instance.businessKey)))
    }

    /// Ends an element instance without completing it: its children first (in key order),
    /// then its task, timers and incidents.
    mutating func terminate(_ elementInstanceKey: Int64, _ instanceKey: Int64) {
        let instance = state.instances[instanceKey]!
        let children = instance.elements.values.filter { $0.flowScopeKey == elementInstanceKey }.map(\.key).sorted()
        for child in children { terminate(child, instanceKey) }
        for task in instance.tasks.values.filter({ $0.elementInstanceKey == elementInstanceKey }).map(\.key).sorted() {
            var value = TaskRecord(instanceKey: instanceKey, taskKey: task, attempt: instance.tasks[task]!.attempt)
            value.elementInstanceKey = elementInstanceKey
            value.elementIndex = instance.tasks[task]!.elementIndex
            write(.taskCanceled, .task(value))
        }
        cancelTimers(of: elementInstanceKey, instanceKey)
        for incident in instance.incidents.values.filter({ $0.elementInstanceKey == elementInstanceKey }).map(\.key).sorted() {
            write(.incidentResolved, .incident(IncidentRecord(instanceKey: instanceKey, incidentKey: incident)))
        }
        guard let element = state.instances[instanceKey]!.elements[elementInstanceKey] else { return }
        write(.elementTerminated, .element(ElementRecord(
            instanceKey: instanceKey, elementInstanceKey: elementInstanceKey, elementIndex: element.elementIndex,
            flowScopeKey: element.flowScopeKey)))
    }

    mutating func cancelTimers(of elementInstanceKey: Int64, _ instanceKey: Int64) {
        let timers = state.instances[instanceKey]!.timers.values.filter { $0.elementInstanceKey == elementInstanceKey }
        for timer in timers.sorted(by: { $0.key < $1.key }) {
            write(.timerCanceled, .timer(TimerRecord(instanceKey: instanceKey, timerKey: timer.key, elementInstanceKey: elementInstanceKey, elementIndex: timer.elementIndex, dueAt: timer.dueAt)))
        }
    }

    mutating func raiseIncident(_ kind: IncidentKind, _ token: Token, _ message: String, taskKey: Int64 = 0) {
        var value = IncidentRecord()
        value.instanceKey = token.instanceKey
        value.incidentKey = nextKey()
        value.elementInstanceKey = token.elementInstanceKey
        value.elementIndex = token.elementIndex
        value.taskKey = taskKey
        value.kind = kind
        value.message = message
        write(.incidentCreated, .incident(value))
    }

    func evaluator(_ instanceKey: Int64, extra: [String: JSONValue] = [:]) -> ExpressionEvaluator {
        let instance = state.instances[instanceKey]!
        let variables = extra.isEmpty ? instance.variables : instance.variables.merging(extra) { $1 }
        return ExpressionEvaluator(variables: variables, taskResults: instance.taskResults)
    }
}
