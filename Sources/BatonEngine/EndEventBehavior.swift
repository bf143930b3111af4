import BatonModel

/// Terminate and error end events (a none end event just leaves).
enum EndEventBehavior {
    /// Ends every other token of the scope, then the scope itself completes.
    static func terminate(_ token: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        let instance = writer.state.instances[token.instanceKey]!
        let others = instance.elements.values
            .filter { $0.flowScopeKey == token.flowScopeKey && $0.key != token.elementInstanceKey }
            .map(\.key).sorted()
        for other in others { writer.terminate(other, token.instanceKey) }
        writer.leave(token, flows: [], &agenda)
        // Tokens of the scope still in flight end with it (and so does the scope check the
        // leave queued), whether or not the scope can complete at once: a sub-process whose
        // output mapping fails waits with an incident, and nothing may move inside it.
        agenda.discardWork(in: token.flowScopeKey)
        if token.flowScopeKey == token.instanceKey {
            writer.completeInstance(token.instanceKey)
        } else if let scope = writer.token(token.instanceKey, token.flowScopeKey) {
            SubProcessBehavior.complete(scope, &writer, &agenda)
        }
    }

    /// Throws the event's error to the nearest enclosing sub-process with a matching error
    /// boundary event; uncaught, the end event waits with an incident.
    static func throwError(_ token: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        let code = token.element.errorCode ?? ""
        guard ErrorPropagation.catchError(code: code, startingAt: token.flowScopeKey, token.instanceKey, variables: [:], &writer, &agenda) else {
            writer.raiseIncident(.unhandledError, token, "error '\(code)' thrown by end event '\(token.element.id)' is not caught by any error boundary event")
            return
        }
    }
}

/// Finds the error boundary event that catches an error and moves the token there.
enum ErrorPropagation {
    /// Where an error or escalation is caught: the boundary event, the activity instance it
    /// is attached to, that activity's scope, and the instance they are in.
    struct Catcher {
        let instanceKey: Int64
        let holder: Int64
        let holderScope: Int64
        /// The boundary event, or the event sub-process start event (`startsEventSubProcess`).
        let boundary: Int32
        /// Caught by an event sub-process of the scope `holderScope` (not by a boundary event).
        var byEventSubProcess = false
    }

    /// Walks from `elementInstanceKey` outwards through enclosing activities, and from a
    /// called instance on to its call activity (BPMN: what a called process does not catch
    /// is thrown at the call activity), to the first boundary event of `kind` that catches
    /// `code`. An exact code match wins over a catch-all on the same activity.
    static func catcher(_ kind: ElementKind, code: String, startingAt elementInstanceKey: Int64, _ instanceKey: Int64, _ writer: inout StepWriter) -> Catcher? {
        let startKind: ElementKind = kind == .errorBoundaryEvent ? .errorEventStart : .escalationEventStart
        var instance = instanceKey
        var current = elementInstanceKey
        while let state = writer.state.instances[instance] {
            let deployed = writer.deployed(instance)
            let process = deployed.process
            /// An event sub-process of the scope `scopeKey` (element `scopeElement`) that catches it.
            func eventSubProcessStart(_ scopeElement: Int32?) -> Int32? {
                let starts = (deployed.eventSubProcesses[scopeElement ?? -1] ?? []).compactMap { process[element: $0].innerStartEvent }
                    .filter { process[element: $0].kind == startKind }
                return starts.first { process[element: $0].errorCode == code } ?? starts.first { process[element: $0].errorCode == nil }
            }
            while current != instance, let holder = state.elements[current] {
                if let start = eventSubProcessStart(holder.elementIndex) {
                    return Catcher(instanceKey: instance, holder: current, holderScope: current, boundary: start, byEventSubProcess: true)
                }
                let boundaries = process[element: holder.elementIndex].boundaryEvents.filter { process[element: $0].kind == kind }
                if let boundary = boundaries.first(where: { process[element: $0].errorCode == code })
                    ?? boundaries.first(where: { process[element: $0].errorCode == nil })
                {
                    return Catcher(instanceKey: instance, holder: current, holderScope: holder.flowScopeKey, boundary: boundary)
                }
                current = holder.flowScopeKey
            }
            if let start = eventSubProcessStart(nil) {
                return Catcher(instanceKey: instance, holder: instance, holderScope: instance, boundary: start, byEventSubProcess: true)
            }
            guard state.parentInstanceKey != 0 else { return nil }
            (instance, current) = (state.parentInstanceKey, state.parentElementInstanceKey)
        }
        return nil
    }

    /// Starts the boundary event's token: in this step's agenda when it is in the instance
    /// being moved, otherwise (a calling instance) at once in that instance.
    static func activate(_ catcher: Catcher, from instanceKey: Int64, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        if catcher.byEventSubProcess {
            if catcher.instanceKey == instanceKey {
                EventSubProcesses.trigger(catcher.boundary, scopeKey: catcher.holderScope, catcher.instanceKey, &writer, &agenda)
            } else {
                var elsewhere = TokenAgenda()
                EventSubProcesses.trigger(catcher.boundary, scopeKey: catcher.holderScope, catcher.instanceKey, &writer, &elsewhere)
                writer.drain(catcher.instanceKey, elsewhere)
            }
        } else if catcher.instanceKey == instanceKey {
            agenda.append(.activate(element: catcher.boundary, scopeKey: catcher.holderScope))
        } else {
            writer.drain(catcher.instanceKey, TokenAgenda([.activate(element: catcher.boundary, scopeKey: catcher.holderScope)]))
        }
    }

    /// Moves an error to the boundary event that catches it (see `catcher`): the variables
    /// it carries are set, the activity ends (and the called instances below it). Returns
    /// false when nothing catches the error (nothing is written then).
    static func catchError(
        code: String, startingAt elementInstanceKey: Int64, _ instanceKey: Int64, variables: [String: JSONValue],
        _ writer: inout StepWriter, _ agenda: inout TokenAgenda
    ) -> Bool {
        guard let catcher = catcher(.errorBoundaryEvent, code: code, startingAt: elementInstanceKey, instanceKey, &writer) else { return false }
        writer.setVariables(variables, catcher.instanceKey, seenFrom: catcher.holderScope)
        // A boundary event ends its activity; an event sub-process ends the rest of its scope
        // as it starts (`EventSubProcesses.trigger`).
        if !catcher.byEventSubProcess { writer.terminate(catcher.holder, catcher.instanceKey) }
        activate(catcher, from: instanceKey, &writer, &agenda)
        return true
    }
}

/// Escalation throw and end events (BPMN 2.0.2 §10.5.3): the escalation goes to the nearest
/// enclosing activity with a matching escalation boundary event (across call activities).
/// An interrupting one ends that activity, the thrower with it; a non-interrupting one
/// starts a token beside it and the thrower goes on. Uncaught, the thrower just goes on.
enum EscalationBehavior {
    static func throwEscalation(_ token: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        let code = token.element.errorCode ?? ""
        if let catcher = ErrorPropagation.catcher(.escalationBoundaryEvent, code: code, startingAt: token.flowScopeKey, token.instanceKey, &writer) {
            let interrupting = writer.deployed(catcher.instanceKey).process[element: catcher.boundary].cancelActivity
            if interrupting, !catcher.byEventSubProcess {
                writer.terminate(catcher.holder, catcher.instanceKey)
                ErrorPropagation.activate(catcher, from: token.instanceKey, &writer, &agenda)
                return
            }
            ErrorPropagation.activate(catcher, from: token.instanceKey, &writer, &agenda)
        }
        guard writer.token(token.instanceKey, token.elementInstanceKey) != nil else { return }
        writer.leave(token, &agenda)
    }
}
