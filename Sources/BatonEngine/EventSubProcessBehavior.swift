import BatonModel

/// Event sub-processes (BPMN 2.0.2 §13.4.4): when a scope (the process, or a sub-process)
/// starts, the timer and message starts of the event sub-processes in it are armed, held by
/// the scope; error and escalation starts wait for what is thrown inside. A trigger starts
/// the event sub-process in the scope; an interrupting one first ends everything else
/// there (and the scope's other event sub-process waits).
enum EventSubProcesses {
    /// Arms the timer and message starts of the scope's event sub-processes. `scopeElement`
    /// is the sub-process (nil: the process scope).
    static func arm(_ scope: Token, scopeElement: Int32?, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        let process = scope.deployed.process
        let starts = (scope.deployed.eventSubProcesses[scopeElement ?? -1] ?? []).compactMap { process[element: $0].innerStartEvent }
        guard !starts.isEmpty else { return }
        var messages: [Int32] = []
        for start in starts {
            let element = process[element: start]
            switch element.kind {
            case .timerEventStart:
                // A cycle repeats only on a non-interrupting start (the compiler refuses others).
                guard let schedule = TimerDueTime.schedule(element.timer!, scope, &writer) else { return }
                writer.write(.timerCreated, .timer(TimerRecord(
                    instanceKey: scope.instanceKey, timerKey: writer.nextKey(), elementInstanceKey: scope.elementInstanceKey,
                    elementIndex: start, dueAt: schedule.dueAt, repetitions: element.cancelActivity ? 0 : schedule.repetitions)))
            case .messageEventStart, .signalEventStart:
                messages.append(start)
            default:
                continue
            }
        }
        guard !messages.isEmpty, let keys = MessageSubscriptions.keys(messages, scope, &writer) else { return }
        let opened = MessageSubscriptions.open(messages, keys: keys, holder: scope.elementInstanceKey, scope, &writer)
        MessageSubscriptions.correlateBuffered(opened, scope.instanceKey, &writer, &agenda)
    }

    /// The scope of the process itself, as a token (for arming and evaluating there).
    static func processScope(_ instanceKey: Int64, _ writer: inout StepWriter) -> Token {
        let deployed = writer.deployed(instanceKey)
        return Token(instanceKey: instanceKey, elementInstanceKey: instanceKey, elementIndex: max(deployed.process.startEvent, 0),
                     flowScopeKey: instanceKey, deployed: deployed)
    }

    /// The scope `scopeKey` (a sub-process's element instance, or the instance itself) as a
    /// token; nil when it is no longer active.
    static func scopeToken(_ scopeKey: Int64, _ instanceKey: Int64, _ writer: inout StepWriter) -> Token? {
        scopeKey == instanceKey ? processScope(instanceKey, &writer) : writer.token(instanceKey, scopeKey)
    }

    /// The start event `start` was triggered in the scope `scopeKey`: an interrupting one
    /// ends the rest of the scope first; then the event sub-process starts there.
    static func trigger(_ start: Int32, scopeKey: Int64, _ instanceKey: Int64, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        let deployed = writer.deployed(instanceKey)
        let element = deployed.process[element: start]
        guard let eventSubProcess = element.scope else { return }
        if element.cancelActivity {
            let inside = writer.withInstance(instanceKey) { instance in
                instance.elements.values.filter { $0.flowScopeKey == scopeKey }.map(\.key).sorted()
            }
            for child in inside { writer.terminate(child, instanceKey) }
            closeStarts(in: scopeKey, instanceKey, deployed, &writer)
            agenda.discardWork(in: scopeKey)
        }
        agenda.append(.activate(element: eventSubProcess, scopeKey: scopeKey))
    }

    /// Closes the timers and subscriptions of the scope's event sub-process starts (not the
    /// boundary events the scope's own activity holds).
    static func closeStarts(in scopeKey: Int64, _ instanceKey: Int64, _ deployed: DeployedProcess, _ writer: inout StepWriter) {
        let (timers, subscriptions) = writer.withInstance(instanceKey) { instance in
            (instance.timers.values.filter { $0.elementInstanceKey == scopeKey && deployed.kind($0.elementIndex).startsEventSubProcess },
             instance.subscriptions.values.filter { $0.elementInstanceKey == scopeKey && deployed.kind($0.elementIndex).startsEventSubProcess })
        }
        for timer in timers.sorted(by: { $0.key < $1.key }) {
            writer.write(.timerCanceled, .timer(TimerRecord(
                instanceKey: instanceKey, timerKey: timer.key, elementInstanceKey: scopeKey, elementIndex: timer.elementIndex, dueAt: timer.dueAt)))
        }
        for subscription in subscriptions.sorted(by: { $0.key < $1.key }) { writer.closeSubscription(subscription, instanceKey) }
    }
}

/// The event sub-process itself, once triggered: its own event sub-processes are armed and
/// its start event (whose trigger came) is passed at once.
enum EventSubProcessBehavior {
    static func run(_ token: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        guard let locals = LocalScope.inputs(token, &writer) else { return }
        LocalScope.open(locals, token, &writer)
        EventSubProcesses.arm(token, scopeElement: token.elementIndex, &writer, &agenda)
        agenda.append(.activateTriggered(element: token.element.innerStartEvent!, scopeKey: token.elementInstanceKey))
    }
}
