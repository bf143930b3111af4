import BatonModel

/// Dispatches an activated element to the behaviour of its kind. A behaviour either leaves
/// the element at once (the token moves on) or leaves it waiting (task, timer, incident).
enum ElementBehaviors {
    static func run(_ token: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        switch token.deployed.kind(token.elementIndex) {
        case .noneStartEvent, .noneThrowEvent, .noneEndEvent, .errorBoundaryEvent, .timerBoundaryEvent,
            .parallelGateway, .messageStartEvent, .messageBoundaryEvent, .linkCatchEvent:
            writer.leave(token, &agenda)
        case .manualTask, .undefinedTask:
            guard OutputMappings.apply(token, extra: [:], &writer) else { return }
            writer.leave(token, &agenda)
        case .terminateEndEvent: EndEventBehavior.terminate(token, &writer, &agenda)
        case .errorEndEvent: EndEventBehavior.throwError(token, &writer, &agenda)
        case .sendTask, .messageThrowEvent, .messageEndEvent:
            if token.element.task == nil {
                MessageThrowBehavior.run(token, &writer, &agenda)
            } else {
                ExternalTaskBehavior.run(token, &writer, &agenda)
            }
        case .serviceTask, .userTask, .businessRuleTask:
            ExternalTaskBehavior.run(token, &writer, &agenda)
        case .messageCatchEvent, .receiveTask, .signalCatchEvent: MessageCatchBehavior.run(token, &writer, &agenda)
        case .signalThrowEvent, .signalEndEvent: SignalThrowBehavior.run(token, &writer, &agenda)
        case .eventBasedGateway: EventBasedGatewayBehavior.run(token, &writer, &agenda)
        case .linkThrowEvent:
            // The token leaves (no flow) and goes on at the link catch event; queued before
            // the scope check runs, so the scope sees it in flight and does not complete.
            writer.leave(token, flows: [], &agenda)
            agenda.append(.activate(element: token.element.linkTarget!, scopeKey: token.flowScopeKey))
        case .scriptTask: ScriptTaskBehavior.run(token, &writer, &agenda)
        case .exclusiveGateway: ExclusiveGatewayBehavior.run(token, &writer, &agenda)
        case .inclusiveGateway: InclusiveGatewayBehavior.run(token, &writer, &agenda)
        case .subProcess: SubProcessBehavior.run(token, &writer, &agenda)
        case .timerCatchEvent: TimerCatchBehavior.run(token, &writer)
        case .multiInstanceBody: MultiInstanceBehavior.activate(token, &writer, &agenda)
        case .escalationThrowEvent, .escalationEndEvent: EscalationBehavior.throwEscalation(token, &writer, &agenda)
        case .escalationBoundaryEvent, .timerEventStart, .messageEventStart, .errorEventStart, .escalationEventStart,
            .signalStartEvent, .signalBoundaryEvent, .signalEventStart, .timerStartEvent:
            writer.leave(token, &agenda)
        case .eventSubProcess: EventSubProcessBehavior.run(token, &writer, &agenda)
        case .callActivity: CallActivityBehavior.run(token, &writer, &agenda)
        }
    }
}

/// Output mappings of an activity: evaluated against the instance's variables plus `extra`
/// (a worker's variables); the mapped targets are merged into the process scope.
enum OutputMappings {
    /// Returns false when a mapping cannot be evaluated, after raising an
    /// `outputMappingFailed` incident that keeps `extra`, so that resolving it runs the
    /// mappings again with what the completion brought instead of redoing the work.
    static func apply(_ token: Token, extra: [String: JSONValue], _ writer: inout StepWriter) -> Bool {
        let mappings = token.element.outputs
        guard !mappings.isEmpty else { return true }
        switch evaluate(mappings, writer.evaluator(token, extra: extra)) {
        case .success(let values):
            writer.setVariables(values, token.instanceKey, seenFrom: token.elementInstanceKey)
            return true
        case .failure(let failure):
            writer.raiseIncident(.outputMappingFailed, token, failure.message, variables: extra)
            return false
        }
    }

    struct Failure: Error {
        let message: String
    }

    /// The mapped values, or what went wrong with the first mapping that failed.
    static func evaluate(_ mappings: [VariableMapping], _ evaluator: ExpressionEvaluator) -> Result<[String: JSONValue], Failure> {
        var values: [String: JSONValue] = [:]
        for mapping in mappings {
            switch mapping.source {
            case .constant(let text):
                values[mapping.target] = .string(text)
            case .expression(let expression):
                do {
                    values[mapping.target] = try evaluator.evaluate(expression.root)
                } catch {
                    return .failure(Failure(message: "mapping to '\(mapping.target)' from '\(expression.source)': \(error.message)"))
                }
            }
        }
        return .success(values)
    }
}
