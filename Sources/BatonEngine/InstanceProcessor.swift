import BatonModel

/// `createInstance`: starts an instance of an exact process version at its none start event.
enum InstanceProcessor {
    static func create(_ value: InstanceRecord, _ writer: inout StepWriter) {
        guard let deployed = writer.processes.process(id: value.processId, version: value.processVersion) else {
            writer.reject("process '\(value.processId)' version \(value.processVersion) is not deployed")
            return
        }
        let instanceKey = writer.nextKey()
        var created = value
        created.instanceKey = instanceKey
        writer.write(.instanceCreated, .instance(created))
        writer.drain(instanceKey, TokenAgenda([.activate(element: deployed.process.startEvent, scopeKey: instanceKey)]))
    }
}

/// `resolveIncident`: an operator says the cause is fixed (with new retries and, if
/// needed, new variables); the task is re-published or the element's step is run again.
enum IncidentProcessor {
    static func resolve(_ value: IncidentRecord, _ writer: inout StepWriter) {
        guard let instance = writer.state.instances[value.instanceKey] else {
            writer.reject("process instance \(value.instanceKey) is not active")
            return
        }
        guard let incident = instance.incidents[value.incidentKey] else {
            writer.reject("incident \(value.incidentKey) is not open in instance \(value.instanceKey)")
            return
        }
        let task = incident.taskKey == 0 ? nil : instance.tasks[incident.taskKey]
        if task != nil, value.retries < 1 {
            writer.reject("incident \(value.incidentKey) is on task \(incident.taskKey): resolving it needs at least 1 retry")
            return
        }
        if !value.variables.isEmpty {
            writer.write(.variablesUpdated, .variables(VariablesRecord(instanceKey: value.instanceKey, variables: value.variables)))
        }
        writer.write(.incidentResolved, .incident(IncidentRecord(instanceKey: value.instanceKey, incidentKey: value.incidentKey, retries: value.retries)))
        if let task {
            ExternalTaskBehavior.activate(task, instanceKey: value.instanceKey, retries: value.retries, &writer)
        } else if let token = writer.token(value.instanceKey, incident.elementInstanceKey) {
            var agenda = TokenAgenda()
            writer.activations = 0
            ElementBehaviors.run(token, &writer, &agenda)
            writer.drain(value.instanceKey, agenda)
        }
    }
}

/// `triggerTimer`: a due timer fires. A catch event leaves; an interrupting boundary event
/// ends its activity and takes the token.
enum TimerProcessor {
    static func trigger(_ value: TimerRecord, _ writer: inout StepWriter) {
        guard let timer = writer.state.instances[value.instanceKey]?.timers[value.timerKey] else {
            writer.reject("timer \(value.timerKey) is not active in instance \(value.instanceKey) (fired, canceled or never created)")
            return
        }
        guard writer.now >= timer.dueAt else {
            writer.reject("timer \(value.timerKey) is due at \(timer.dueAt); the engine's time is \(writer.now)")
            return
        }
        writer.write(.timerTriggered, .timer(TimerRecord(
            instanceKey: value.instanceKey, timerKey: timer.key, elementInstanceKey: timer.elementInstanceKey,
            elementIndex: timer.elementIndex, dueAt: timer.dueAt)))
        var agenda = TokenAgenda()
        let process = writer.deployed(value.instanceKey).process
        if process[element: timer.elementIndex].kind == .timerCatchEvent {
            if let token = writer.token(value.instanceKey, timer.elementInstanceKey) { writer.leave(token, &agenda) }
        } else if let activity = writer.state.instances[value.instanceKey]!.elements[timer.elementInstanceKey] {
            writer.terminate(activity.key, value.instanceKey)
            agenda.append(.activate(element: timer.elementIndex, scopeKey: activity.flowScopeKey))
        }
        writer.drain(value.instanceKey, agenda)
    }
}
