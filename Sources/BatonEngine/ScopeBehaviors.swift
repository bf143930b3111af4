import BatonModel

/// Embedded sub-process: a scope of its own, entered at its none start event.
enum SubProcessBehavior {
    static func run(_ token: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        guard let waits = BoundaryEvents.prepare(token, &writer) else { return }
        EventSubProcesses.arm(token, scopeElement: token.elementIndex, &writer, &agenda)
        agenda.append(.activate(element: token.element.innerStartEvent!, scopeKey: token.elementInstanceKey))
        BoundaryEvents.open(waits, token, &writer, &agenda)
    }

    /// Called when no token is left inside: applies output mappings and leaves.
    static func complete(_ token: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        guard OutputMappings.apply(token, extra: [:], &writer) else { return }
        writer.leave(token, &agenda)
    }
}

/// Script task: evaluates its expression and stores the result.
enum ScriptTaskBehavior {
    static func run(_ token: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        let script = token.element.script!
        let result: JSONValue
        do {
            result = try writer.evaluator(token).evaluate(script.expression.root)
        } catch {
            writer.raiseIncident(.expressionFailed, token, "script '\(script.expression.source)': \(error.message)")
            return
        }
        writer.setVariables([script.resultVariable: result], token.instanceKey, seenFrom: token.elementInstanceKey)
        guard OutputMappings.apply(token, extra: [:], &writer) else { return }
        writer.leave(token, &agenda)
    }
}

/// Intermediate timer catch event: waits until its timer fires.
enum TimerCatchBehavior {
    static func run(_ token: Token, _ writer: inout StepWriter) {
        guard let dueAt = TimerDueTime.compute(token.element.timer!, token, &writer) else { return }
        writer.write(.timerCreated, .timer(TimerRecord(
            instanceKey: token.instanceKey, timerKey: writer.nextKey(), elementInstanceKey: token.elementInstanceKey,
            elementIndex: token.elementIndex, dueAt: dueAt)))
    }
}
