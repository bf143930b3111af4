import BatonModel

/// A multi-instance activity (BPMN 2.0.2 §13.3.7): its body runs the activity once per
/// item of the input collection (or `loopCardinality` times), all at once or one after
/// another. Each inner instance has its item (`inputElement`) and `loopCounter` (from 1)
/// as local variables; the body keeps the counts (Camunda 7's `nrOfInstances`,
/// `nrOfActiveInstances`, `nrOfCompletedInstances`, and Camunda 8's `numberOf…` names) and
/// the output collection, in item order, which goes to the process scope when the body
/// completes. Variables written inside go to the nearest scope that has them
/// (`StepWriter.setVariables`), so an inner instance's result stays its own. The completion condition is evaluated as each inner instance completes; when
/// it holds, the other inner instances are ended and the body completes.
enum MultiInstanceBehavior {
    /// What an inner instance hands to its body as it completes.
    struct Collected {
        let loopCounter: Int
        let output: JSONValue
        let counts: Counts
        let conditionHolds: Bool
    }

    struct Counts {
        var instances: Int
        var active: Int
        var completed: Int

        /// The counts as the body's local variables, in both Camunda generations' names.
        var variables: [String: JSONValue] {
            let (all, active, completed) = (JSONValue.number(Double(instances)), JSONValue.number(Double(self.active)), JSONValue.number(Double(self.completed)))
            return [
                "nrOfInstances": all, "nrOfActiveInstances": active, "nrOfCompletedInstances": completed,
                "numberOfInstances": all, "numberOfActiveInstances": active, "numberOfCompletedInstances": completed,
            ]
        }

        init(instances: Int, active: Int, completed: Int) {
            self.instances = instances
            self.active = active
            self.completed = completed
        }

        init(_ locals: [String: JSONValue]) {
            func count(_ name: String) -> Int {
                if case .number(let value)? = locals[name] { return Int(value) }
                return 0
            }
            self.init(instances: count("nrOfInstances"), active: count("nrOfActiveInstances"), completed: count("nrOfCompletedInstances"))
        }
    }

    /// The body is activated: its boundary events are armed, its counts written, and its
    /// inner instances started (all, or the first).
    static func activate(_ body: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        let definition = body.element.multiInstance!
        guard let waits = BoundaryEvents.prepare(body, &writer), let items = items(definition, body, &writer) else { return }
        let counts = Counts(instances: items.count, active: definition.isSequential ? min(1, items.count) : items.count, completed: 0)
        var locals = counts.variables
        if let output = definition.outputCollection { locals[output] = .array(Array(repeating: .null, count: items.count)) }
        writer.write(.variablesUpdated, .variables(VariablesRecord(instanceKey: body.instanceKey, variables: locals, scopeKey: body.elementInstanceKey)))
        BoundaryEvents.open(waits, body, &writer, &agenda)
        guard !items.isEmpty else {
            agenda.append(.scopeCheck(scopeKey: body.elementInstanceKey))
            return
        }
        for (offset, item) in items.enumerated() {
            agenda.appendInner(element: definition.innerElement, scopeKey: body.elementInstanceKey, locals: innerLocals(definition, item, offset + 1))
            if definition.isSequential { break }
        }
    }

    /// Before an inner instance completes: its output element and whether the completion
    /// condition holds, both evaluated with its local variables (and the counts it
    /// leaves). Nil after raising an incident on the inner instance.
    static func collect(_ inner: Token, _ writer: inout StepWriter) -> Collected? {
        let definition = inner.deployed.process[element: inner.element.scope!].multiInstance!
        let (bodyLocals, innerLocals) = writer.withInstance(inner.instanceKey) {
            ($0.locals[inner.flowScopeKey] ?? [:], $0.locals[inner.elementInstanceKey] ?? [:])
        }
        var counts = Counts(bodyLocals)
        counts.active -= 1
        counts.completed += 1
        var loopCounter = 0
        if case .number(let value)? = innerLocals["loopCounter"] { loopCounter = Int(value) }
        let evaluator = writer.evaluator(inner, extra: counts.variables)
        var output = JSONValue.null
        do {
            if let expression = definition.outputElement { output = try evaluator.evaluate(expression.root) }
        } catch {
            writer.raiseIncident(.expressionFailed, inner, "outputElement '\(definition.outputElement!.source)': \(error.message)")
            return nil
        }
        var holds = false
        do {
            if let condition = definition.completionCondition { holds = try evaluator.condition(condition) }
        } catch {
            writer.raiseIncident(.expressionFailed, inner, "completionCondition '\(definition.completionCondition!.source)': \(error.message)")
            return nil
        }
        return Collected(loopCounter: loopCounter, output: output, counts: counts, conditionHolds: holds)
    }

    /// After an inner instance completed: the body's counts and output collection, then the
    /// next inner instance (sequential), or the others ended (condition), or a scope check.
    static func innerCompleted(_ inner: Token, _ collected: Collected, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        let definition = inner.deployed.process[element: inner.element.scope!].multiInstance!
        let body = inner.flowScopeKey
        var counts = collected.counts
        let more = definition.isSequential && !collected.conditionHolds && collected.loopCounter < counts.instances
        if more { counts.active += 1 }
        var locals = counts.variables
        if let name = definition.outputCollection {
            var list: [JSONValue] = []
            if case .array(let items)? = writer.withInstance(inner.instanceKey, { $0.locals[body]?[name] }) { list = items }
            let slot = collected.loopCounter - 1
            if slot >= 0, slot < list.count { list[slot] = collected.output }
            locals[name] = .array(list)
        }
        writer.write(.variablesUpdated, .variables(VariablesRecord(instanceKey: inner.instanceKey, variables: locals, scopeKey: body)))
        if collected.conditionHolds {
            agenda.discardWork(in: body)
            let others = writer.withInstance(inner.instanceKey) { instance in
                instance.elements.values.filter { $0.flowScopeKey == body }.map(\.key).sorted()
            }
            for other in others { writer.terminate(other, inner.instanceKey) }
        } else if more, let bodyToken = writer.token(inner.instanceKey, body) {
            guard let items = items(definition, bodyToken, &writer) else { return }
            if collected.loopCounter < items.count {
                agenda.appendInner(
                    element: inner.elementIndex, scopeKey: body, locals: innerLocals(definition, items[collected.loopCounter], collected.loopCounter + 1))
                return
            }
        }
        agenda.append(.scopeCheck(scopeKey: body))
    }

    /// No inner instance is left: the output collection goes to the process scope and the
    /// body leaves along the activity's flows.
    static func complete(_ body: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        let definition = body.element.multiInstance!
        if let name = definition.outputCollection {
            let value = writer.withInstance(body.instanceKey) { $0.locals[body.elementInstanceKey]?[name] } ?? .array([])
            writer.write(.variablesUpdated, .variables(VariablesRecord(instanceKey: body.instanceKey, variables: [name: value])))
        }
        writer.leave(body, &agenda)
    }

    /// The items, one per inner instance: the input collection's (re-read for each
    /// sequential instance), or `loopCardinality` nulls. Nil after an incident on the body.
    static func items(_ definition: MultiInstanceDefinition, _ body: Token, _ writer: inout StepWriter) -> [JSONValue]? {
        let expression = definition.inputCollection ?? definition.cardinality!
        let value: JSONValue
        do {
            value = try writer.evaluator(body).evaluate(expression.root)
        } catch {
            writer.raiseIncident(.expressionFailed, body, "multi-instance '\(expression.source)': \(error.message)")
            return nil
        }
        let items: [JSONValue]
        switch (definition.inputCollection, value) {
        case (.some, .array(let list)):
            items = list
        case (.some, _):
            writer.raiseIncident(.expressionFailed, body, "the input collection '\(expression.source)' gave \(value.jsonText.prefix(80)), not a list")
            return nil
        case (nil, .number(let count)) where count >= 0 && count == count.rounded() && count <= Double(MultiInstanceDefinition.maximumInstances):
            items = Array(repeating: .null, count: Int(count))
        case (nil, _):
            writer.raiseIncident(.expressionFailed, body, "loopCardinality '\(expression.source)' gave \(value.jsonText.prefix(80)), not a whole number from 0 to \(MultiInstanceDefinition.maximumInstances)")
            return nil
        }
        guard items.count <= MultiInstanceDefinition.maximumInstances else {
            writer.raiseIncident(.expressionFailed, body, "the input collection '\(expression.source)' has \(items.count) items; a multi-instance activity runs at most \(MultiInstanceDefinition.maximumInstances)")
            return nil
        }
        return items
    }

    /// An inner instance's local variables: its loop counter and item, and (as Zeebe does)
    /// the variable its output element names, so that a result written inside stays with
    /// this instance instead of racing the others in the process scope.
    static func innerLocals(_ definition: MultiInstanceDefinition, _ item: JSONValue, _ loopCounter: Int) -> [String: JSONValue] {
        var locals: [String: JSONValue] = ["loopCounter": .number(Double(loopCounter))]
        if case .path(let segments)? = definition.outputElement?.root, case .field(let name)? = segments.first {
            locals[name] = .null
        }
        if let name = definition.inputElement { locals[name] = item }
        return locals
    }
}
