import BatonModel

/// External tasks (service, user, send and business rule tasks, message throw and end
/// events): arm boundary events, evaluate input mappings, create the task
/// for workers, wait.
enum ExternalTaskBehavior {
    static func run(_ token: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        guard let waits = BoundaryEvents.prepare(token, &writer) else { return }
        let inputs: [String: JSONValue]
        switch OutputMappings.evaluate(token.element.inputs, writer.evaluator(token)) {
        case .success(let values): inputs = values
        case .failure(let failure):
            writer.raiseIncident(.expressionFailed, token, failure.message)
            return
        }
        let definition = token.element.task!
        var topic = definition.topic
        if let expression = definition.topicExpression {
            // Evaluated once, when the task is created: retries and re-activations keep it.
            let value: JSONValue
            do {
                value = try writer.evaluator(token, extra: inputs).evaluate(expression.root)
            } catch {
                writer.raiseIncident(.expressionFailed, token, "task type '\(expression.source)': \(error.message)")
                return
            }
            if let problem = TaskDefinition.topicProblem(value) {
                writer.raiseIncident(.expressionFailed, token, "task type '\(expression.source)' gave no topic: \(problem)")
                return
            }
            guard case .string(let name) = value else { return }
            topic = name
        }
        var retries = definition.retries
        if let expression = definition.retriesExpression {
            let given: Result<Int, TaskDefinitionError>
            do {
                given = TaskDefinition.retries(from: try writer.evaluator(token, extra: inputs).evaluate(expression.root))
            } catch {
                given = .failure(TaskDefinitionError(message: error.message))
            }
            switch given {
            case .success(let value): retries = value
            case .failure(let error):
                writer.raiseIncident(.expressionFailed, token, "retries '\(expression.source)': \(error.message)")
                return
            }
        }
        // Timers before the task, as journals have always had them (keys follow the order).
        BoundaryEvents.armTimers(waits, token, &writer)
        var task = TaskRecord(instanceKey: token.instanceKey, taskKey: writer.nextKey(), attempt: 1)
        task.elementInstanceKey = token.elementInstanceKey
        task.elementIndex = token.elementIndex
        task.topic = topic
        task.retries = Int32(retries)
        task.priority = Int32(definition.priority)
        task.lockDuration = writer.configuration.lockDuration
        task.lockExpiresAt = writer.now + writer.configuration.lockDuration
        task.variables = inputs
        writer.write(.taskCreated, .task(task))
        // After the task: a buffered message for a boundary event may end it at once.
        BoundaryEvents.openSubscriptions(waits, token, &writer, &agenda)
    }

    /// Publishes the task again as a new attempt (after a retry timeout, a lock expiry or a
    /// resolved incident).
    static func activate(_ task: TaskState, instanceKey: Int64, retries: Int32, _ writer: inout StepWriter) {
        var value = TaskRecord(instanceKey: instanceKey, taskKey: task.key, attempt: task.attempt + 1)
        value.elementInstanceKey = task.elementInstanceKey
        value.elementIndex = task.elementIndex
        value.topic = task.topic
        value.priority = task.priority
        value.retries = retries
        value.lockDuration = writer.configuration.lockDuration
        value.lockExpiresAt = writer.now + writer.configuration.lockDuration
        writer.write(.taskActivated, .task(value))
    }
}

/// What an element waits for besides its own work: timers (of its boundary events, or an
/// event-based gateway's events) and message subscriptions, each held by the element
/// instance, so they end when it leaves.
struct BoundaryWaits {
    var timers: [(element: Int32, schedule: TimerDueTime.Schedule)] = []
    var catchers: [Int32] = []
    var keys: [String] = []
}

/// Timer and message boundary events of an activity: armed when it activates, canceled
/// when it leaves.
enum BoundaryEvents {
    /// The due times and correlation keys of the activity's boundary events, computed
    /// before anything is written; nil after raising an incident.
    static func prepare(_ token: Token, _ writer: inout StepWriter) -> BoundaryWaits? {
        var waits = BoundaryWaits()
        for boundary in token.element.boundaryEvents {
            let element = token.deployed.process[element: boundary]
            switch element.kind {
            case .timerBoundaryEvent:
                guard var schedule = TimerDueTime.schedule(element.timer!, token, &writer) else { return nil }
                // Only a non-interrupting boundary event repeats; an interrupting one ends it.
                if element.cancelActivity { schedule.repetitions = 0 }
                waits.timers.append((boundary, schedule))
            case .messageBoundaryEvent, .signalBoundaryEvent:
                waits.catchers.append(boundary)
            default:
                continue
            }
        }
        guard let keys = MessageSubscriptions.keys(waits.catchers, token, &writer) else { return nil }
        waits.keys = keys
        return waits
    }

    /// Arms the timers and opens the subscriptions; a buffered message may trigger one at once.
    static func open(_ waits: BoundaryWaits, _ token: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        armTimers(waits, token, &writer)
        openSubscriptions(waits, token, &writer, &agenda)
    }

    static func armTimers(_ waits: BoundaryWaits, _ token: Token, _ writer: inout StepWriter) {
        for (element, schedule) in waits.timers {
            writer.write(.timerCreated, .timer(TimerRecord(
                instanceKey: token.instanceKey, timerKey: writer.nextKey(), elementInstanceKey: token.elementInstanceKey,
                elementIndex: element, dueAt: schedule.dueAt, repetitions: schedule.repetitions)))
        }
    }

    static func openSubscriptions(_ waits: BoundaryWaits, _ token: Token, _ writer: inout StepWriter, _ agenda: inout TokenAgenda) {
        let opened = MessageSubscriptions.open(waits.catchers, keys: waits.keys, holder: token.elementInstanceKey, token, &writer)
        MessageSubscriptions.correlateBuffered(opened, token.instanceKey, &writer, &agenda)
    }
}

/// When a timer fires, from its definition and the engine's clock.
enum TimerDueTime {
    /// When a timer fires first, and for a cycle its interval and the firings left after
    /// the first (-1: no end).
    struct Schedule {
        let dueAt: Int64
        var interval: Int64 = 0
        var repetitions: Int32 = 0
        /// A cron cycle: the next firing is its next instant, not an interval later.
        var cron: CronSchedule?

        /// When a cycle fires after the firing due at `previous` (nil: a cron that never
        /// matches again).
        func following(_ previous: Int64) -> Int64? {
            cron.map { $0.next(after: previous) } ?? previous + interval
        }
    }

    static func compute(_ timer: TimerDefinition, _ token: Token, _ writer: inout StepWriter) -> Int64? {
        schedule(timer, token, &writer)?.dueAt
    }

    /// Nil after raising an incident on `token` (an expression that fails or gives no time).
    static func schedule(_ timer: TimerDefinition, _ token: Token, _ writer: inout StepWriter) -> Schedule? {
        func cycle(_ repetitions: Int32?, _ interval: Int64) -> Schedule {
            Schedule(dueAt: writer.now + interval, interval: interval, repetitions: repetitions.map { $0 - 1 } ?? -1)
        }
        func cron(_ schedule: CronSchedule) throws(TimeFormatError) -> Schedule {
            guard let first = schedule.next(after: writer.now) else { throw TimeFormatError(message: "cron '\(schedule.source)' matches no instant in the next eight years") }
            return Schedule(dueAt: first, repetitions: -1, cron: schedule)
        }
        do {
            switch timer {
            case .duration(let milliseconds): return Schedule(dueAt: writer.now + milliseconds)
            case .date(let epochMilliseconds): return Schedule(dueAt: epochMilliseconds)
            case .durationExpression(let expression):
                return Schedule(dueAt: writer.now + (try ISO8601.durationMilliseconds(try text(expression, token, &writer))))
            case .dateExpression(let expression):
                return Schedule(dueAt: try ISO8601.epochMilliseconds(try text(expression, token, &writer)))
            case .cycle(let repetitions, let interval):
                return cycle(repetitions, interval)
            case .cron(let schedule):
                return try cron(schedule)
            case .cycleExpression(let expression):
                let given = try text(expression, token, &writer)
                if CronSchedule.looksLikeCron(given) { return try cron(try CronSchedule(given)) }
                let parsed = try ISO8601.cycle(given)
                return cycle(parsed.repetitions, parsed.intervalMilliseconds)
            }
        } catch {
            writer.raiseIncident(.expressionFailed, token, "timer of '\(token.deployed.process[element: token.elementIndex].id)': \(error)")
            return nil
        }
    }

    private static func text(_ expression: ParsedExpression, _ token: Token, _ writer: inout StepWriter) throws -> String {
        let value = try writer.evaluator(token).evaluate(expression.root)
        guard case .string(let text) = value else {
            throw ExpressionError(message: "'\(expression.source)' gave \(value.jsonText), not an ISO-8601 text", offset: 0)
        }
        return text
    }
}
