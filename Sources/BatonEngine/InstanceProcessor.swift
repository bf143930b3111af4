import BatonModel

/// `createInstance`: starts an instance of an exact process version at its none start event.
enum InstanceProcessor {
    static func create(_ value: InstanceRecord, _ writer: inout StepWriter) {
        guard let deployed = writer.processes.process(id: value.processId, version: value.processVersion) else {
            writer.reject("process '\(value.processId)' version \(value.processVersion) is not deployed")
            return
        }
        guard deployed.process.startEvent >= 0 else {
            let process = deployed.process
            let messages = process.messageStartEvents.compactMap { process[element: $0].message?.name }.map { "message '\($0)' is published" }
            let signals = process.signalStartEvents.compactMap { process[element: $0].message?.name }.map { "signal '\($0)' is broadcast" }
            let timers = process.timerStartEvents.map { "its timer start event '\(process[element: $0].id)' fires" }
            writer.reject("process '\(value.processId)' has no none start event: it starts when \((messages + signals + timers).joined(separator: " or "))")
            return
        }
        guard SizeLimits.variablesFit(value.variables, into: nil, &writer) else { return }
        if !value.allowDuplicate, let reason = activeInstanceProblem(value.processId, &writer) {
            writer.reject("\(reason) (a createInstance with allowDuplicate starts another)")
            return
        }
        let instanceKey = begin(value, &writer)
        writer.drain(instanceKey, startAgenda(instanceKey, at: deployed.process.startEvent, &writer))
    }

    /// What a new instance does first: arm the event sub-processes of the process scope,
    /// then the token at its start event.
    static func startAgenda(_ instanceKey: Int64, at startEvent: Int32, _ writer: inout StepWriter) -> TokenAgenda {
        var agenda = TokenAgenda()
        EventSubProcesses.arm(EventSubProcesses.processScope(instanceKey, &writer), scopeElement: nil, &writer, &agenda)
        agenda.append(.activate(element: startEvent, scopeKey: instanceKey))
        return agenda
    }

    /// Why no instance of `processId` may start for the command's correlation id (one is
    /// active: one order, one instance), or nil.
    static func activeInstanceProblem(_ processId: String, _ writer: inout StepWriter) -> String? {
        let correlationId = writer.command.key
        guard let active = writer.state.instancesByCorrelation[correlationId]?
            .first(where: { writer.state.instances[$0]?.processId == processId })
        else { return nil }
        return "instance \(active) of process '\(processId)' is already active for correlation id '\(correlationId)': one order, one instance"
    }

    /// A correlationId for an instance that nothing names (started by a signal or a timer):
    /// the process id and a key of this command, with a counter appended until murmur2
    /// maps it to this partition, so the instance lives where its correlationId says
    /// (DESIGN.md §4) and the choice is the same on every replay.
    static func correlationIdOnThisPartition(for processId: String, _ writer: inout StepWriter) -> String {
        let base = "\(processId)-\(writer.nextKey())"
        let own = writer.command.partition
        guard writer.configuration.journalPartitions > 1, writer.partition(ofKey: base) != own else { return base }
        // Murmur2 spreads the suffixes evenly: about one try in `journalPartitions` lands
        // here. The bound only guards a partition number the configuration does not have.
        for attempt in 1...(1_000 * Int(writer.configuration.journalPartitions)) where writer.partition(ofKey: "\(base).\(attempt)") == own {
            return "\(base).\(attempt)"
        }
        return base
    }

    /// Writes `instanceCreated` for `value` and returns the new instance's key; the caller
    /// starts the token.
    static func begin(_ value: InstanceRecord, _ writer: inout StepWriter) -> Int64 {
        let instanceKey = writer.nextKey()
        var created = value
        created.instanceKey = instanceKey
        writer.write(.instanceCreated, .instance(created))
        return instanceKey
    }
}

/// Operator commands on a whole instance.
enum OperatorProcessor {
    /// `cancelInstance`: every element ends (children first; tasks canceled, timers
    /// canceled, incidents resolved), then the instance. Nothing continues after it.
    static func cancel(_ value: InstanceRecord, _ writer: inout StepWriter) {
        guard let instance = activeInstance(value.instanceKey, &writer) else { return }
        guard instance.parentInstanceKey == 0 else {
            writer.reject("process instance \(instance.key) was started by a call activity of instance \(instance.parentInstanceKey): cancel that instance (a called instance ends with its call activity)")
            return
        }
        writer.cancelInstance(instance.key)
    }

    /// `setVariables`: merged into the instance's process scope.
    static func setVariables(_ value: VariablesRecord, _ writer: inout StepWriter) {
        guard activeInstance(value.instanceKey, &writer) != nil else { return }
        guard !value.variables.isEmpty else {
            writer.reject("setVariables names no variables")
            return
        }
        guard SizeLimits.variablesFit(value.variables, into: value.instanceKey, &writer) else { return }
        writer.write(.variablesUpdated, .variables(value))
    }

    /// The instance the command names, if it is active and belongs to the command's
    /// correlation id; otherwise the command is rejected with the reason.
    private static func activeInstance(_ key: Int64, _ writer: inout StepWriter) -> InstanceState? {
        guard let instance = writer.state.instances[key] else {
            writer.reject("process instance \(key) is not active (completed, canceled or never started)")
            return nil
        }
        guard instance.correlationId == writer.command.key else {
            writer.reject("process instance \(key) belongs to correlation id '\(instance.correlationId)', not '\(writer.command.key)'")
            return nil
        }
        return instance
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
        guard SizeLimits.variablesFit(value.variables, into: value.instanceKey, &writer) else { return }
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
        } else if incident.kind == .outputMappingFailed, let token = writer.token(value.instanceKey, incident.elementInstanceKey) {
            // The work is done (a worker's result, a script's, a sub-process's); only the
            // mapping runs again, with the variables the completion brought.
            guard OutputMappings.apply(token, extra: incident.variables, &writer) else { return }
            var agenda = TokenAgenda()
            writer.leave(token, &agenda)
            writer.drain(value.instanceKey, agenda)
        } else if let token = writer.token(value.instanceKey, incident.elementInstanceKey) {
            var agenda = TokenAgenda()
            writer.activations = 0
            ElementBehaviors.run(token, &writer, &agenda)
            writer.drain(value.instanceKey, agenda)
        }
    }
}

/// `triggerTimer`: a due timer fires. A catch event leaves; an event-based gateway leaves
/// towards it; an interrupting boundary event ends its activity and takes the token, a
/// non-interrupting one starts a token beside it.
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
        let deployed = writer.deployed(value.instanceKey)
        if deployed.kind(timer.elementIndex).startsEventSubProcess {
            let scope = EventSubProcesses.scopeToken(timer.elementInstanceKey, value.instanceKey, &writer)
            if timer.repetitions != 0, let scope, let schedule = TimerDueTime.schedule(deployed.process[element: timer.elementIndex].timer!, scope, &writer),
                let next = schedule.following(timer.dueAt)
            {
                // A non-interrupting cycle: the next firing, one interval after this one was due.
                writer.write(.timerCreated, .timer(TimerRecord(
                    instanceKey: value.instanceKey, timerKey: writer.nextKey(), elementInstanceKey: timer.elementInstanceKey,
                    elementIndex: timer.elementIndex, dueAt: next, repetitions: timer.repetitions > 0 ? timer.repetitions - 1 : -1)))
            }
            EventSubProcesses.trigger(timer.elementIndex, scopeKey: timer.elementInstanceKey, value.instanceKey, &writer, &agenda)
            writer.drain(value.instanceKey, agenda)
            return
        }
        guard let holder = writer.token(value.instanceKey, timer.elementInstanceKey) else { return }
        if holder.elementIndex == timer.elementIndex {
            writer.leave(holder, &agenda)
        } else if holder.deployed.kind(holder.elementIndex) == .eventBasedGateway {
            EventBasedGatewayBehavior.trigger(holder, target: timer.elementIndex, &writer, &agenda)
        } else {
            let boundary = holder.deployed.process[element: timer.elementIndex]
            if boundary.cancelActivity {
                writer.terminate(holder.elementInstanceKey, value.instanceKey)
            } else if timer.repetitions != 0, let schedule = TimerDueTime.schedule(boundary.timer!, holder, &writer),
                let next = schedule.following(timer.dueAt)
            {
                // A cycle: the next firing, one interval (or the cron's next instant) after this one was due.
                writer.write(.timerCreated, .timer(TimerRecord(
                    instanceKey: value.instanceKey, timerKey: writer.nextKey(), elementInstanceKey: holder.elementInstanceKey,
                    elementIndex: timer.elementIndex, dueAt: next, repetitions: timer.repetitions > 0 ? timer.repetitions - 1 : -1)))
            }
            agenda.append(.activate(element: timer.elementIndex, scopeKey: holder.flowScopeKey))
        }
        writer.drain(value.instanceKey, agenda)
    }
}
