import BatonModel

/// A call activity starts an instance of another process with the caller's correlationId
/// (so on the same partition, in the same step) and waits for it: when the called instance
/// completes, its variables come back and the call activity leaves. Terminating the call
/// activity (a boundary event, a cancel) cancels the called instance; an error the called
/// instance does not catch is thrown at the call activity (`ErrorPropagation`).
enum CallActivityBehavior {
    static func run(_ token: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        let call = token.element.call!
        guard let waits = BoundaryEvents.prepare(token, &writer) else { return }
        var processId = call.processId
        if let expression = call.processIdExpression {
            do {
                guard case .string(let id) = try writer.evaluator(token).evaluate(expression.root), !id.isEmpty else {
                    writer.raiseIncident(.expressionFailed, token, "called element '\(expression.source)' gave no process id (a non-empty string)")
                    return
                }
                processId = id
            } catch {
                writer.raiseIncident(.expressionFailed, token, "called element '\(expression.source)': \(error.message)")
                return
            }
        }
        // "Latest" is the newest version this partition has read when the call activity is
        // activated: every replica folding the same journal picks the same one.
        guard let version = writer.processes.version(of: processId, call.binding, calledFrom: token.deployed),
              let called = writer.processes.process(id: processId, version: version)
        else {
            let which: String
            switch call.binding {
            case .latest: which = "process '\(processId)'"
            case .version(let version): which = "version \(version) of process '\(processId)'"
            case .deployment: which = "process '\(processId)' from the deployment of '\(token.deployed.process.processId)' version \(token.deployed.version)"
            case .versionTag(let tag): which = "process '\(processId)' with version tag '\(tag)'"
            }
            writer.raiseIncident(.calledProcessMissing, token, "call activity '\(token.element.id)' calls \(which), which is not deployed: deploy it, then resolve this incident")
            return
        }
        guard called.process.startEvent >= 0 else {
            writer.raiseIncident(.calledProcessMissing, token, "process '\(processId)' has no none start event, so call activity '\(token.element.id)' cannot start it")
            return
        }
        var depth = 1
        var ancestor = writer.state.instances[token.instanceKey]!.parentInstanceKey
        while ancestor != 0, let above = writer.state.instances[ancestor] {
            depth += 1
            ancestor = above.parentInstanceKey
        }
        guard depth < CallDefinition.maximumDepth else {
            writer.raiseIncident(.calledProcessMissing, token, "calls nest \(depth) deep at call activity '\(token.element.id)'; at most \(CallDefinition.maximumDepth) (does a process call itself?)")
            return
        }
        let evaluator = writer.evaluator(token)
        var variables = call.passesAllVariablesIn ? evaluator.variables : [:]
        switch OutputMappings.evaluate(token.element.inputs, evaluator) {
        case .success(let values): variables.merge(values) { $1 }
        case .failure(let failure):
            writer.raiseIncident(.expressionFailed, token, failure.message)
            return
        }
        BoundaryEvents.open(waits, token, &writer, &agenda)
        // A buffered message may have interrupted the call activity already.
        guard writer.token(token.instanceKey, token.elementInstanceKey) != nil else { return }
        let caller = writer.state.instances[token.instanceKey]!
        var value = InstanceRecord(processId: processId, processVersion: version, businessKey: caller.businessKey, variables: variables)
        value.parentInstanceKey = token.instanceKey
        value.parentElementInstanceKey = token.elementInstanceKey
        let child = InstanceProcessor.begin(value, &writer)
        writer.drain(child, InstanceProcessor.startAgenda(child, at: called.process.startEvent, &writer))
    }

    /// The called instance completed: its variables come back (all, or by `camunda:out`),
    /// the call activity's output mappings run over them, and the caller goes on.
    static func calledInstanceCompleted(_ caller: Int64, _ elementInstanceKey: Int64, variables: [String: JSONValue], _ writer: inout StepWriter) {
        guard let token = writer.token(caller, elementInstanceKey), let call = token.element.call else { return }
        if call.passesAllVariablesOut { writer.setVariables(variables, caller, seenFrom: elementInstanceKey) }
        if !call.outputs.isEmpty {
            switch OutputMappings.evaluate(call.outputs, ExpressionEvaluator(variables: variables, taskResults: [], now: writer.now)) {
            case .success(let values): writer.setVariables(values, caller, seenFrom: elementInstanceKey)
            case .failure(let failure):
                writer.raiseIncident(.outputMappingFailed, token, failure.message, variables: variables)
                return
            }
        }
        guard OutputMappings.apply(token, extra: variables, &writer) else { return }
        var agenda = TokenAgenda()
        writer.leave(token, &agenda)
        writer.drain(caller, agenda)
    }
}
