import BatonModel

/// The only code that changes `EngineState`. Processing writes an event by applying it
/// here, and replay applies the same events with the same code, so the two cannot drift.
///
/// Appliers dispatch on the record's version, and the appliers of a version stay as long as
/// journals of that version may exist (the journal fixtures under Tests/Fixtures prove it).
/// Versions 1 and 2 differ only in a field the fold does not read, and version 3 adds the
/// scope of variables (0, the process scope, in older records), so they share appliers.
public enum EventApplier {
    /// Applies one event or rejection. Commands are not applied.
    ///
    /// - Precondition: the record's version is one this build reads (the codec refuses the
    ///   others with `DecodingError.unknownRecordVersion`, and the runtime stops only that
    ///   partition).
    public static func apply(_ record: Record, to state: inout EngineState, processes: ProcessRegistry) {
        switch record.version {
        case 1, 2, 3: applyVersion1(record, to: &state, processes: processes)
        default: preconditionFailure("no applier for record version \(record.version)")
        }
    }

    private static func applyVersion1(_ record: Record, to state: inout EngineState, processes: ProcessRegistry) {
        if record.sourcePosition > state.lastCommandPosition { state.lastCommandPosition = record.sourcePosition }
        guard record.recordType == .event else { return }
        switch record.value {
        case .instance(let value): applyInstance(record, value, processes, to: &state)
        case .element(let value):
            state.modifyInstance(value.instanceKey) { ElementApplier.apply(record.intent, value, processes[$0.definition], to: &$0) }
        case .task(let value):
            let change = state.modifyInstance(value.instanceKey) {
                TaskApplier.apply(record.intent, value, processes[$0.definition], timestamp: record.timestamp, to: &$0)
            }
            if let change { state.dueWork.replace(change.before, with: change.after) }
        case .incident(let value): applyIncident(record.intent, value, to: &state)
        case .timer(let value) where value.instanceKey == 0:
            applyStartTimer(record, value, to: &state)
        case .timer(let value):
            guard state.modifyInstance(value.instanceKey, { applyTimer(record.intent, value, to: &$0) }) != nil else { return }
            let timer = DueWork.timer(instanceKey: value.instanceKey, timerKey: value.timerKey, dueAt: value.dueAt)
            if record.intent == .timerCreated { state.dueWork.insert(timer) } else { state.dueWork.remove(timer) }
        case .variables(let value):
            guard record.intent == .variablesUpdated else { return }
            if value.scopeKey != 0 {
                state.modifyInstance(value.instanceKey) { instance in
                    guard instance.elements[value.scopeKey] != nil else { return }
                    instance.locals[value.scopeKey, default: [:]].merge(value.variables) { $1 }
                }
            } else {
                state.modifyInstance(value.instanceKey) { $0.variables.merge(value.variables) { $1 } }
            }
        case .message(let value): applyMessage(record, value, to: &state)
        case .subscription(let value): applySubscription(record.intent, value, to: &state)
        case .entry:
            break
        }
    }

    private static func applyStartTimer(_ record: Record, _ value: TimerRecord, to state: inout EngineState) {
        let due = DueWork.timer(instanceKey: 0, timerKey: value.timerKey, dueAt: value.dueAt)
        switch record.intent {
        case .timerCreated:
            let version = Int32(clamping: value.elementInstanceKey)
            state.startTimers[value.timerKey] = StartTimer(
                key: value.timerKey, processId: record.key, version: version, elementIndex: value.elementIndex, dueAt: value.dueAt,
                repetitions: value.repetitions)
            state.startTimerVersions[record.key] = max(state.startTimerVersions[record.key] ?? 0, version)
            state.dueWork.insert(due)
        case .timerTriggered, .timerCanceled:
            state.startTimers[value.timerKey] = nil
            state.dueWork.remove(due)
        default:
            break
        }
    }

    private static func applyMessage(_ record: Record, _ value: MessageRecord, to state: inout EngineState) {
        switch record.intent {
        case .messagePublished:
            // A message without a time to live is correlated when published or never.
            guard value.expiresAt > record.timestamp else { return }
            state.messages.insert(BufferedMessage(
                key: value.messageKey, name: value.name, correlationKey: record.key, variables: value.variables,
                expiresAt: value.expiresAt, messageId: value.messageId))
            state.dueWork.insert(.messageExpiry(messageKey: value.messageKey, dueAt: value.expiresAt))
        case .messageCorrelated:
            state.messages.markCorrelated(value.messageKey, instanceKey: value.instanceKey)
        case .messageExpired:
            state.messages.remove(value.messageKey)
            state.dueWork.remove(.messageExpiry(messageKey: value.messageKey, dueAt: value.expiresAt))
        case .eventIngested:
            let source = value.sourcePartitionName
            state.sourceOffsets[source] = max(state.sourceOffsets[source] ?? -1, value.sourceOffset)
        default:
            break
        }
    }

    private static func applySubscription(_ intent: Intent, _ value: SubscriptionRecord, to state: inout EngineState) {
        let address = MessageAddress(name: value.messageName, correlationKey: value.correlationKey)
        let reference = SubscriptionReference(instanceKey: value.instanceKey, subscriptionKey: value.subscriptionKey)
        switch intent {
        case .messageSubscriptionOpened:
            let opened: Void? = state.modifyInstance(value.instanceKey) { instance in
                instance.subscriptions[value.subscriptionKey] = SubscriptionState(
                    key: value.subscriptionKey, elementInstanceKey: value.elementInstanceKey, elementIndex: value.elementIndex,
                    messageName: value.messageName, correlationKey: value.correlationKey)
            }
            if opened != nil { state.subscriptionsByAddress[address, default: []].append(reference) }
        case .messageSubscriptionClosed:
            state.modifyInstance(value.instanceKey) { $0.subscriptions[value.subscriptionKey] = nil }
            state.removeSubscription(reference, at: address)
        case .remoteSubscriptionOpened:
            state.remoteSubscriptions[address, default: []].append(RemoteSubscription(value))
        case .remoteSubscriptionClosed:
            guard var remote = state.remoteSubscriptions.removeValue(forKey: address) else { return }
            remote.removeAll { $0.subscriptionKey == value.subscriptionKey && $0.instanceKey == value.instanceKey }
            if !remote.isEmpty { state.remoteSubscriptions[address] = remote }
        default:
            break
        }
    }

    private static func applyInstance(_ record: Record, _ value: InstanceRecord, _ processes: ProcessRegistry, to state: inout EngineState) {
        switch record.intent {
        case .instanceCreated:
            guard let deployed = processes.process(id: value.processId, version: value.processVersion) else { return }
            state.instances[value.instanceKey] = InstanceState(
                key: value.instanceKey, processId: value.processId, processVersion: value.processVersion,
                definition: deployed.definition,
                correlationId: record.key, businessKey: value.businessKey, startTime: record.timestamp,
                variables: value.variables)
            if value.parentInstanceKey != 0 {
                state.instances[value.instanceKey]!.parentInstanceKey = value.parentInstanceKey
                state.instances[value.instanceKey]!.parentElementInstanceKey = value.parentElementInstanceKey
            }
            state.instancesByCorrelation.add(value.instanceKey, for: record.key)
        case .instanceCompleted, .instanceCanceled:
            guard let ended = state.instances.removeValue(forKey: value.instanceKey) else { return }
            for timer in ended.timers.values {
                state.dueWork.remove(.timer(instanceKey: ended.key, timerKey: timer.key, dueAt: timer.dueAt))
            }
            for task in ended.tasks.values { state.dueWork.replace(DueWork(task, instanceKey: ended.key), with: nil) }
            for subscription in ended.subscriptions.values {
                state.removeSubscription(
                    SubscriptionReference(instanceKey: ended.key, subscriptionKey: subscription.key), at: subscription.address)
            }
            if !ended.incidents.isEmpty {
                state.openIncidents -= ended.incidents.count
                state.instancesWithIncidents -= 1
            }
            state.instancesByCorrelation.remove(value.instanceKey, for: ended.correlationId)
        default:
            break
        }
    }

    /// Incidents, with the counts of open incidents and the due work of a task that starts
    /// waiting on one.
    private static func applyIncident(_ intent: Intent, _ value: IncidentRecord, to state: inout EngineState) {
        struct Change {
            var incidents = 0
            var instancesWithIncidents = 0
            var before: DueWork?
            var after: DueWork?
        }
        let change = state.modifyInstance(value.instanceKey) { instance -> Change? in
            let hadIncidents = !instance.incidents.isEmpty
            var change = Change()
            change.before = value.taskKey == 0 ? nil : DueWork(instance.tasks[value.taskKey], instanceKey: instance.key)
            switch intent {
            case .incidentCreated:
                instance.incidents[value.incidentKey] = IncidentState(
                    key: value.incidentKey, kind: value.kind, elementInstanceKey: value.elementInstanceKey,
                    elementIndex: value.elementIndex, taskKey: value.taskKey, message: value.message, variables: value.variables)
                if value.taskKey != 0 { instance.tasks[value.taskKey]?.phase = .incident }
                change.incidents = 1
            case .incidentResolved:
                guard instance.incidents.removeValue(forKey: value.incidentKey) != nil else { return nil }
                change.incidents = -1
            default:
                return nil
            }
            change.after = value.taskKey == 0 ? nil : DueWork(instance.tasks[value.taskKey], instanceKey: instance.key)
            change.instancesWithIncidents = (instance.incidents.isEmpty ? 0 : 1) - (hadIncidents ? 1 : 0)
            return change
        }
        guard let change = change ?? nil else { return }
        state.openIncidents += change.incidents
        state.instancesWithIncidents += change.instancesWithIncidents
        state.dueWork.replace(change.before, with: change.after)
    }

    private static func applyTimer(_ intent: Intent, _ value: TimerRecord, to instance: inout InstanceState) {
        switch intent {
        case .timerCreated:
            instance.timers[value.timerKey] = TimerState(
                key: value.timerKey, elementInstanceKey: value.elementInstanceKey, elementIndex: value.elementIndex,
                dueAt: value.dueAt, repetitions: value.repetitions)
        case .timerTriggered, .timerCanceled:
            instance.timers[value.timerKey] = nil
        default:
            break
        }
    }
}

/// Token movement: element instances come and go, joins collect arrivals.
enum ElementApplier {
    static func apply(_ intent: Intent, _ value: ElementRecord, _ deployed: DeployedProcess, to instance: inout InstanceState) {
        switch intent {
        case .elementActivated:
            instance.elements[value.elementInstanceKey] = ElementInstance(
                key: value.elementInstanceKey, elementIndex: value.elementIndex, flowScopeKey: value.flowScopeKey)
            changeChildren(of: value.flowScopeKey, by: 1, in: &instance)
            if deployed.isJoin(value.elementIndex) {
                consumeArrivals(at: JoinPoint(scopeKey: value.flowScopeKey, gateway: value.elementIndex), in: &instance)
            }
        case .elementCompleted, .elementTerminated:
            instance.elements[value.elementInstanceKey] = nil
            if !instance.locals.isEmpty { instance.locals[value.elementInstanceKey] = nil }
            changeChildren(of: value.flowScopeKey, by: -1, in: &instance)
            // Tokens still waiting at joins inside a scope that ends go with it.
            if deployed.kind(value.elementIndex) == .subProcess || deployed.kind(value.elementIndex) == .eventSubProcess {
                instance.joins = instance.joins.filter { $0.key.scopeKey != value.elementInstanceKey }
            }
        case .sequenceFlowTaken:
            let target = deployed.flowTargets[Int(value.flowIndex)]
            if deployed.isJoin(target) {
                instance.joins[JoinPoint(scopeKey: value.flowScopeKey, gateway: target), default: [:]][value.flowIndex, default: 0] += 1
            }
        default:
            break
        }
    }

    private static func changeChildren(of scopeKey: Int64, by delta: Int32, in instance: inout InstanceState) {
        if scopeKey == instance.key {
            instance.rootChildren += delta
        } else {
            instance.elements[scopeKey]?.activeChildren += delta
        }
    }

    /// A join that fires takes one token from every flow that has one.
    private static func consumeArrivals(at join: JoinPoint, in instance: inout InstanceState) {
        guard var arrivals = instance.joins[join] else { return }
        for (flow, count) in arrivals { arrivals[flow] = count > 1 ? count - 1 : nil }
        instance.joins[join] = arrivals.isEmpty ? nil : arrivals
    }
}

/// The external task lifecycle.
enum TaskApplier {
    /// Applies one task event; returns the due work the task waited for before and waits
    /// for after (for `DueWorkIndex`), read in place without copying the task.
    static func apply(
        _ intent: Intent, _ value: TaskRecord, _ deployed: DeployedProcess, timestamp: Int64, to instance: inout InstanceState
    ) -> (before: DueWork?, after: DueWork?) {
        let key = value.taskKey
        switch intent {
        case .taskCreated:
            instance.tasks[key] = TaskState(
                key: key, elementInstanceKey: value.elementInstanceKey, elementIndex: value.elementIndex,
                topic: value.topic, priority: value.priority, attempt: value.attempt, retries: value.retries,
                phase: .active(lockExpiresAt: value.lockExpiresAt), activatedAt: timestamp)
            return (nil, DueWork(.active(lockExpiresAt: value.lockExpiresAt), instanceKey: instance.key, taskKey: key, attempt: value.attempt))
        case .taskCompleted, .taskCanceled:
            guard let removed = instance.tasks.removeValue(forKey: key) else { return (nil, nil) }
            if intent == .taskCompleted {
                instance.taskResults.append(
                    TaskResult(
                        taskId: deployed.process[element: value.elementIndex].id, data: value.data, startTime: value.startTime,
                        endTime: value.endTime))
            }
            return (DueWork(removed.phase, instanceKey: instance.key, taskKey: key, attempt: removed.attempt), nil)
        default:
            break
        }
        guard let index = instance.tasks.index(forKey: key) else { return (nil, nil) }
        let before = DueWork(instance.tasks.values[index].phase, instanceKey: instance.key, taskKey: key, attempt: instance.tasks.values[index].attempt)
        switch intent {
        case .taskFailed:
            instance.tasks.values[index].retries = value.retries
            instance.tasks.values[index].lastError = value.errorMessage
            if value.retries > 0 { instance.tasks.values[index].phase = .waitingForRetry(retryAt: value.retryAt) }
        case .taskErrorThrown:
            instance.tasks.values[index].lastError = value.errorMessage
        case .taskActivated:
            instance.tasks.values[index].attempt = value.attempt
            instance.tasks.values[index].retries = value.retries
            instance.tasks.values[index].phase = .active(lockExpiresAt: value.lockExpiresAt)
            instance.tasks.values[index].activatedAt = timestamp
            instance.tasks.values[index].lockOwner = ""
        case .taskLockExtended:
            instance.tasks.values[index].phase = .active(lockExpiresAt: value.lockExpiresAt)
            if !value.workerId.isEmpty { instance.tasks.values[index].lockOwner = value.workerId }
        default:
            break
        }
        return (before, DueWork(instance.tasks.values[index].phase, instanceKey: instance.key, taskKey: key, attempt: instance.tasks.values[index].attempt))
    }
}
