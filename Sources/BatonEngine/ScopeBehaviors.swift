import BatonModel

/// Embedded sub-process: a scope of its own, entered at its none start event.
enum SubProcessBehavior {
    static func run(_ token: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        guard let locals = LocalScope.inputs(token, &writer), let waits = BoundaryEvents.prepare(token, &writer) else { return }
        LocalScope.open(locals, token, &writer)
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

/// The local variables a sub-process (or event sub-process) starts with: its input
/// mappings (`zeebe:input`, `camunda:inputParameter`), evaluated where it is entered and
/// kept in its own scope, as Camunda does. Inside, a variable of the same name is written
/// there (`StepWriter.setVariables`: the nearest scope that has it); they go when the
/// sub-process ends, after its output mappings have read them.
enum LocalScope {
    /// Nil after raising an incident on the sub-process (a mapping that fails).
    static func inputs(_ token: Token, _ writer: inout StepWriter) -> [String: JSONValue]? {
        guard !token.element.inputs.isEmpty else { return [:] }
        switch OutputMappings.evaluate(token.element.inputs, writer.evaluator(token)) {
        case .success(let values): return values
        case .failure(let failure):
            writer.raiseIncident(.expressionFailed, token, "input \(failure.message)")
            return nil
        }
    }

    static func open(_ locals: [String: JSONValue], _ token: Token, _ writer: inout StepWriter) {
        guard !locals.isEmpty else { return }
        writer.write(.variablesUpdated, .variables(VariablesRecord(instanceKey: token.instanceKey, variables: locals, scopeKey: token.elementInstanceKey)))
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
