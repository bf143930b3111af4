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
    /// Walks from `elementInstanceKey` outwards through enclosing sub-processes, and from a
    /// called instance on to its call activity (BPMN: an error a called process does not
    /// catch is thrown at the call activity). An exact error-code match wins over a
    /// catch-all boundary on the same activity. Returns false when nothing catches the
    /// error (nothing is written then).
    static func catchError(
        code: String, startingAt elementInstanceKey: Int64, _ instanceKey: Int64, variables: [String: JSONValue],
        _ writer: inout StepWriter, _ agenda: inout TokenAgenda
    ) -> Bool {
        var instance = instanceKey
        var current = elementInstanceKey
        while let state = writer.state.instances[instance] {
            let process = writer.deployed(instance).process
            while current != instance, let holder = state.elements[current] {
                let boundaries = process[element: holder.elementIndex].boundaryEvents.filter { process[element: $0].kind == .errorBoundaryEvent }
                if let boundary = boundaries.first(where: { process[element: $0].errorCode == code })
                    ?? boundaries.first(where: { process[element: $0].errorCode == nil })
                {
                    writer.setVariables(variables, instance, seenFrom: holder.flowScopeKey)
                    // Terminating the holder ends the called instances below it too.
                    writer.terminate(current, instance)
                    if instance == instanceKey {
                        agenda.append(.activate(element: boundary, scopeKey: holder.flowScopeKey))
                    } else {
                        writer.drain(instance, TokenAgenda([.activate(element: boundary, scopeKey: holder.flowScopeKey)]))
                    }
                    return true
                }
                current = holder.flowScopeKey
            }
            guard state.parentInstanceKey != 0 else { return false }
            (instance, current) = (state.parentInstanceKey, state.parentElementInstanceKey)
        }
        return false
    }
}
