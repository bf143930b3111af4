import BatonModel

/// Shared token movement: activate, leave, take flows, finish scopes, terminate. Element
/// behaviours call these; only these write element and flow events.
extension StepWriter {
    mutating func deployed(_ instanceKey: Int64) -> DeployedProcess {
        processes[withInstance(instanceKey) { $0.definition }]
    }

    mutating func token(_ instanceKey: Int64, _ elementInstanceKey: Int64) -> Token? {
        guard isActive(instanceKey), let element = withInstance(instanceKey, { $0.elements[elementInstanceKey] }) else { return nil }
        return Token(
            instanceKey: instanceKey, elementInstanceKey: elementInstanceKey, elementIndex: element.elementIndex,
            flowScopeKey: element.flowScopeKey, deployed: deployed(instanceKey))
    }

    /// Runs queued token movements of an instance until every token waits or ends, then
    /// fires inclusive joins that no token can reach any more, and repeats.
    mutating func drain(_ instanceKey: Int64, _ agenda: TokenAgenda) {
        guard isActive(instanceKey) else { return }
        let deployed = deployed(instanceKey)
        var agenda = agenda
        while true {
            while let work = agenda.popFirst() {
                guard isActive(instanceKey) else { return }
                // Work queued for a scope that has since ended (terminated, or left through
                // a boundary event) is dropped with it.
                let scopeKey = work.scopeKey
                guard scopeKey == instanceKey || withInstance(instanceKey, { $0.elements.index(forKey: scopeKey) != nil }) else { continue }
                switch work {
                case .activate(let element, _):
                    activate(element, in: scopeKey, instanceKey, deployed, &agenda)
                case .take(let flow, let source, _):
                    take(flow, from: source, in: scopeKey, instanceKey, deployed, &agenda)
                case .pass(let flow, let source, _):
                    write(.sequenceFlowTaken, .element(ElementRecord(instanceKey: instanceKey, elementInstanceKey: source, elementIndex: -1, flowScopeKey: scopeKey, flowIndex: flow)))
                    activate(deployed.flowTargets[Int(flow)], in: scopeKey, instanceKey, deployed, triggered: true, &agenda)
                case .scopeCheck:
                    finishScopeIfDone(scopeKey, instanceKey, &agenda)
                case .activateInner(let element, _, let slot):
                    activate(element, in: scopeKey, instanceKey, deployed, locals: agenda.locals(inSlot: slot), &agenda)
                case .activateTriggered(let element, _):
                    activate(element, in: scopeKey, instanceKey, deployed, triggered: true, &agenda)
                }
            }
            guard isActive(instanceKey), let join = readyInclusiveJoin(instanceKey, deployed) else { return }
            agenda.append(.activate(element: join.gateway, scopeKey: join.scopeKey))
        }
    }

    /// Activates `element` and runs its behaviour; a `triggered` event (its message or timer
    /// already came) only applies its output mappings and leaves.
    private mutating func activate(
        _ element: Int32, in scopeKey: Int64, _ instanceKey: Int64, _ deployed: DeployedProcess, triggered: Bool = false,
        locals: [String: JSONValue] = [:], _ agenda: inout TokenAgenda
    ) {
        let key = nextKey()
        write(.elementActivated, .element(ElementRecord(instanceKey: instanceKey, elementInstanceKey: key, elementIndex: element, flowScopeKey: scopeKey)))
        if !locals.isEmpty {
            write(.variablesUpdated, .variables(VariablesRecord(instanceKey: instanceKey, variables: locals, scopeKey: key)))
        }
        let token = Token(instanceKey: instanceKey, elementInstanceKey: key, elementIndex: element, flowScopeKey: scopeKey, deployed: deployed)
        activations += 1
        guard activations <= configuration.maximumActivationsPerCommand else {
            raiseIncident(.stepLimitExceeded, token,
                          "the token passed more than \(configuration.maximumActivationsPerCommand) elements in one step; is there a loop without a wait state?")
            return
        }
        guard triggered else {
            ElementBehaviors.run(token, &self, &agenda)
            return
        }
        guard OutputMappings.apply(token, extra: [:], &self) else { return }
        leave(token, &agenda)
    }

    /// Completes the token's element and sends it along `flows` (nil: every outgoing flow);
    /// `triggered`: the flows lead to events that have already happened (see `pass`).
    mutating func leave(_ token: Token, flows: [Int32]? = nil, triggered: Bool = false, _ agenda: inout TokenAgenda) {
        // An inner instance of a multi-instance activity hands its result to its body
        // (read while its local variables are still there) instead of taking flows.
        var collected: MultiInstanceBehavior.Collected?
        if token.deployed.isMultiInstanceInner(token.elementIndex) {
            guard let result = MultiInstanceBehavior.collect(token, &self) else { return }
            collected = result
        }
        closeWaits(of: token.elementInstanceKey, token.instanceKey)
        write(.elementCompleted, .element(ElementRecord(
            instanceKey: token.instanceKey, elementInstanceKey: token.elementInstanceKey, elementIndex: token.elementIndex,
            flowScopeKey: token.flowScopeKey)))
        if let collected {
            MultiInstanceBehavior.innerCompleted(token, collected, &self, &agenda)
            return
        }
        let taken = flows ?? token.deployed.process.elements[Int(token.elementIndex)].outgoing
        if taken.isEmpty {
            agenda.append(.scopeCheck(scopeKey: token.flowScopeKey))
        } else if triggered {
            for flow in taken { agenda.append(.pass(flow: flow, source: token.elementInstanceKey, scopeKey: token.flowScopeKey)) }
        } else {
            for flow in taken { agenda.append(.take(flow: flow, source: token.elementInstanceKey, scopeKey: token.flowScopeKey)) }
        }
    }

    /// Records the flow (with the element instance the token left, so the history shows
    /// which token took it) and sends the token on to its target.
    private mutating func take(
        _ flow: Int32, from source: Int64, in scopeKey: Int64, _ instanceKey: Int64, _ deployed: DeployedProcess, _ agenda: inout TokenAgenda
    ) {
        write(.sequenceFlowTaken, .element(ElementRecord(instanceKey: instanceKey, elementInstanceKey: source, elementIndex: -1, flowScopeKey: scopeKey, flowIndex: flow)))
        let target = deployed.flowTargets[Int(flow)]
        guard deployed.isJoin(target) else {
            agenda.append(.activate(element: target, scopeKey: scopeKey))
            return
        }
        // A parallel join fires when every incoming flow holds a token; inclusive joins are
        // checked when the instance is otherwise still (see `drain`).
        guard deployed.kind(target) == .parallelGateway else { return }
        let arrivals = withInstance(instanceKey) { $0.joins[JoinPoint(scopeKey: scopeKey, gateway: target)] } ?? [:]
        if deployed.process.elements[Int(target)].incoming.allSatisfy({ (arrivals[$0] ?? 0) > 0 }) {
            agenda.append(.activate(element: target, scopeKey: scopeKey))
        }
    }

    /// An inclusive join with tokens waiting that no other token of its scope can still reach.
    private mutating func readyInclusiveJoin(_ instanceKey: Int64, _ deployed: DeployedProcess) -> JoinPoint? {
        guard withInstance(instanceKey, { !$0.joins.isEmpty }) else { return nil }
        let instance = state.instances[instanceKey]!
        let candidates = instance.joins.keys
            .filter { deployed.kind($0.gateway) == .inclusiveGateway }
            .sorted { ($0.scopeKey, $0.gateway) < ($1.scopeKey, $1.gateway) }
        for join in candidates {
            let upstream = deployed.inclusiveUpstream[join.gateway] ?? []
            let blockedByToken = instance.elements.values.contains { $0.flowScopeKey == join.scopeKey && upstream.contains($0.elementIndex) }
            let blockedByJoin = instance.joins.keys.contains { $0.scopeKey == join.scopeKey && $0.gateway != join.gateway && upstream.contains($0.gateway) }
            if !blockedByToken && !blockedByJoin { return join }
        }
        return nil
    }

    /// A scope with no active element, no token waiting at a join and no token in flight is
    /// done: a sub-process leaves, the process instance completes (BPMN 2.0.2 §13.5.6: an
    /// instance completes only when no token remains). A token in flight has left its
    /// element but not reached the next one; when it ends, its own scope check runs.
    private mutating func finishScopeIfDone(_ scopeKey: Int64, _ instanceKey: Int64, _ agenda: inout TokenAgenda) {
        guard !agenda.hasTokenInFlight(in: scopeKey) else { return }
        let done = withInstance(instanceKey) { instance in
            let children = scopeKey == instanceKey ? instance.rootChildren : (instance.elements[scopeKey]?.activeChildren ?? 1)
            return children == 0 && !instance.joins.keys.contains { $0.scopeKey == scopeKey }
        }
        guard done else { return }
        if scopeKey == instanceKey {
            completeInstance(instanceKey)
        } else if let token = token(instanceKey, scopeKey) {
            let kind = token.deployed.kind(token.elementIndex)
            if kind == .eventSubProcess {
                guard OutputMappings.apply(token, extra: [:], &self) else { return }
                leave(token, &agenda)
            } else if kind == .multiInstanceBody {
                MultiInstanceBehavior.complete(token, &self, &agenda)
            } else {
                SubProcessBehavior.complete(token, &self, &agenda)
            }
        }
    }

    mutating func completeInstance(_ instanceKey: Int64) {
        let (value, variables, parent, caller) = withInstance(instanceKey) {
            (InstanceRecord(instanceKey: instanceKey, processId: $0.processId, processVersion: $0.processVersion, businessKey: $0.businessKey),
             $0.variables, $0.parentInstanceKey, $0.parentElementInstanceKey)
        }
        write(.instanceCompleted, .instance(value))
        // A called instance hands its variables back and its call activity goes on.
        if parent != 0 { CallActivityBehavior.calledInstanceCompleted(parent, caller, variables: variables, &self) }
    }

    /// Ends an instance: every element (children first), then the instance itself, and any
    /// instance its call activities started.
    mutating func cancelInstance(_ instanceKey: Int64) {
        let instance = state.instances[instanceKey]!
        let roots = instance.elements.values.filter { $0.flowScopeKey == instance.key }.map(\.key).sorted()
        for root in roots { terminate(root, instance.key) }
        write(.instanceCanceled, .instance(InstanceRecord(
            instanceKey: instance.key, processId: instance.processId, processVersion: instance.processVersion, businessKey: instance.businessKey)))
    }

    /// Ends an element instance without completing it: its children first (in key order),
    /// then its task, timers, message subscriptions and incidents.
    mutating func terminate(_ elementInstanceKey: Int64, _ instanceKey: Int64) {
        let instance = state.instances[instanceKey]!
        let children = instance.elements.values.filter { $0.flowScopeKey == elementInstanceKey }.map(\.key).sorted()
        for child in children { terminate(child, instanceKey) }
        for task in instance.tasks.values.filter({ $0.elementInstanceKey == elementInstanceKey }).map(\.key).sorted() {
            var value = TaskRecord(instanceKey: instanceKey, taskKey: task, attempt: instance.tasks[task]!.attempt)
            value.elementInstanceKey = elementInstanceKey
            value.elementIndex = instance.tasks[task]!.elementIndex
            value.topic = instance.tasks[task]!.topic
            write(.taskCanceled, .task(value))
        }
        closeWaits(of: elementInstanceKey, instanceKey)
        // A call activity's called instance ends with it.
        if instance.elements[elementInstanceKey].map({ processes[instance.definition].kind($0.elementIndex) == .callActivity }) == true {
            let called = state.instances.values.filter { $0.parentInstanceKey == instanceKey && $0.parentElementInstanceKey == elementInstanceKey }.map(\.key).sorted()
            for child in called { cancelInstance(child) }
        }
        for incident in instance.incidents.values.filter({ $0.elementInstanceKey == elementInstanceKey }).map(\.key).sorted() {
            write(.incidentResolved, .incident(IncidentRecord(instanceKey: instanceKey, incidentKey: incident)))
        }
        guard let element = state.instances[instanceKey]!.elements[elementInstanceKey] else { return }
        write(.elementTerminated, .element(ElementRecord(
            instanceKey: instanceKey, elementInstanceKey: elementInstanceKey, elementIndex: element.elementIndex,
            flowScopeKey: element.flowScopeKey)))
    }

    /// Cancels the timers and closes the message subscriptions an element instance waits on
    /// (its own, its boundary events', an event-based gateway's).
    mutating func closeWaits(of elementInstanceKey: Int64, _ instanceKey: Int64) {
        let timers = withInstance(instanceKey) { instance in
            instance.timers.isEmpty ? [] : instance.timers.values.filter { $0.elementInstanceKey == elementInstanceKey }
        }
        for timer in timers.sorted(by: { $0.key < $1.key }) {
            write(.timerCanceled, .timer(TimerRecord(instanceKey: instanceKey, timerKey: timer.key, elementInstanceKey: elementInstanceKey, elementIndex: timer.elementIndex, dueAt: timer.dueAt)))
        }
        let subscriptions = withInstance(instanceKey) { instance in
            instance.subscriptions.isEmpty ? [] : instance.subscriptions.values.filter { $0.elementInstanceKey == elementInstanceKey }
        }
        for subscription in subscriptions.sorted(by: { $0.key < $1.key }) { closeSubscription(subscription, instanceKey) }
    }

    /// Closes a subscription; one held on another partition too (through the outbox).
    mutating func closeSubscription(_ subscription: SubscriptionState, _ instanceKey: Int64) {
        var value = SubscriptionRecord(
            instanceKey: instanceKey, subscriptionKey: subscription.key, elementInstanceKey: subscription.elementInstanceKey,
            elementIndex: subscription.elementIndex, messageName: subscription.messageName, correlationKey: subscription.correlationKey)
        write(.messageSubscriptionClosed, .subscription(value))
        let home = partition(ofKey: subscription.correlationKey)
        let own = command.partition
        guard !subscription.correlationKey.isEmpty, home != own else { return }
        value.instancePartition = own
        send(.closeMessageSubscription, key: subscription.correlationKey, to: home) { offset in
            value.sourcePartition = own
            value.sourceOffset = offset
            return .subscription(value)
        }
    }

    mutating func raiseIncident(_ kind: IncidentKind, _ token: Token, _ message: String, taskKey: Int64 = 0, variables: [String: JSONValue] = [:]) {
        var value = IncidentRecord()
        value.instanceKey = token.instanceKey
        value.incidentKey = nextKey()
        value.elementInstanceKey = token.elementInstanceKey
        value.elementIndex = token.elementIndex
        value.taskKey = taskKey
        value.kind = kind
        value.message = message
        value.variables = variables
        write(.incidentCreated, .incident(value))
    }

    /// Sets variables as seen from an element instance: each goes to the nearest enclosing
    /// scope that has a local variable of that name (a multi-instance inner instance's item
    /// or result), otherwise to the process scope. One record per scope, in key order.
    mutating func setVariables(_ values: [String: JSONValue], _ instanceKey: Int64, seenFrom elementInstanceKey: Int64) {
        guard !values.isEmpty else { return }
        let byScope: [Int64: [String: JSONValue]] = withInstance(instanceKey) { instance in
            guard !instance.locals.isEmpty else { return [0: values] }
            var byScope: [Int64: [String: JSONValue]] = [:]
            for (name, value) in values {
                var key = elementInstanceKey
                var target: Int64 = 0
                while key != instance.key, let element = instance.elements[key] {
                    if instance.locals[key]?[name] != nil {
                        target = key
                        break
                    }
                    key = element.flowScopeKey
                }
                byScope[target, default: [:]][name] = value
            }
            return byScope
        }
        for scope in byScope.keys.sorted() {
            write(.variablesUpdated, .variables(VariablesRecord(instanceKey: instanceKey, variables: byScope[scope]!, scopeKey: scope)))
        }
    }

    /// An evaluator over what the token's element instance sees (process variables under
    /// its scopes' local ones), plus `extra` (a worker's variables, input mappings).
    mutating func evaluator(_ token: Token, extra: [String: JSONValue] = [:]) -> ExpressionEvaluator {
        let now = now
        return withInstance(token.instanceKey) { instance in
            let seen = instance.variables(inScopeOf: token.elementInstanceKey)
            let variables = extra.isEmpty ? seen : seen.merging(extra) { $1 }
            return ExpressionEvaluator(variables: variables, taskResults: instance.taskResults, now: now)
        }
    }
}
