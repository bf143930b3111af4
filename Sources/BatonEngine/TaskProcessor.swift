import BatonModel

/// What workers and the runtime say about external tasks: complete, fail, throw a BPMN
/// error, lock expiry, retry after a timeout, extend a lock. A command for a task that is
/// not active, or for another attempt than the current one, is rejected with the reason,
/// so duplicate and stale deliveries are harmless.
enum TaskProcessor {
    static func process(_ intent: Intent, _ value: TaskRecord, _ writer: inout StepWriter) {
        guard writer.isActive(value.instanceKey) else {
            writer.reject("process instance \(value.instanceKey) is not active (completed, or never created)")
            return
        }
        guard let task = writer.withInstance(value.instanceKey, { $0.tasks[value.taskKey] }) else {
            writer.reject("task \(value.taskKey) is not active in instance \(value.instanceKey) (completed, canceled or never created)")
            return
        }
        guard value.attempt == task.attempt else {
            writer.reject("the command is for attempt \(value.attempt) of task \(value.taskKey), which is at attempt \(task.attempt)")
            return
        }
        let token = writer.token(value.instanceKey, task.elementInstanceKey)!
        // A claimed task answers to the worker that claimed it (Camunda's lock holder); an
        // answer without a workerId (the SDK's, a JSON answer without one) is not checked.
        let workerCommand = intent == .completeTask || intent == .failTask || intent == .throwTaskError || intent == .extendTaskLock || intent == .unlockTask
        if workerCommand, !task.lockOwner.isEmpty, !value.workerId.isEmpty, value.workerId != task.lockOwner,
            case .active(let lockExpiresAt) = task.phase, writer.now < lockExpiresAt
        {
            writer.reject("task \(task.key) is locked by worker '\(task.lockOwner)' until \(lockExpiresAt), not by '\(value.workerId)'")
            return
        }
        if intent == .completeTask || intent == .failTask || intent == .throwTaskError {
            guard SizeLimits.taskAnswerFits(value, &writer) else { return }
            // Variables merged as they come (no output mapping chooses among them) must fit.
            let mergedAsTheyCome = intent == .throwTaskError || token.element.outputs.isEmpty
            guard !mergedAsTheyCome || SizeLimits.variablesFit(value.variables, into: value.instanceKey, &writer) else { return }
        }
        switch (intent, task.phase) {
        case (.completeTask, .active):
            complete(task, value, token, &writer)
        case (.failTask, .active):
            fail(task, value, token, &writer)
        case (.throwTaskError, .active):
            throwError(task, value, token, &writer)
        case (.extendTaskLock, .active):
            guard value.lockDuration > 0 else {
                writer.reject("extendTaskLock needs a positive lockDuration")
                return
            }
            var extended = record(task, token)
            extended.lockExpiresAt = writer.now + value.lockDuration
            extended.lockDuration = value.lockDuration
            extended.workerId = value.workerId
            writer.write(.taskLockExtended, .task(extended))
        case (.unlockTask, .active):
            writer.write(.taskLockExpired, .task(record(task, token)))
            ExternalTaskBehavior.activate(task, instanceKey: token.instanceKey, retries: task.retries, &writer)
        case (.expireTaskLock, .active(let lockExpiresAt)):
            guard writer.now >= lockExpiresAt else {
                writer.reject("the lock of task \(task.key) runs until \(lockExpiresAt); the engine's time is \(writer.now)")
                return
            }
            writer.write(.taskLockExpired, .task(record(task, token)))
            ExternalTaskBehavior.activate(task, instanceKey: token.instanceKey, retries: task.retries, &writer)
        case (.retryTask, .waitingForRetry(let retryAt)):
            guard writer.now >= retryAt else {
                writer.reject("task \(task.key) may be retried from \(retryAt); the engine's time is \(writer.now)")
                return
            }
            ExternalTaskBehavior.activate(task, instanceKey: token.instanceKey, retries: task.retries, &writer)
        default:
            writer.reject("task \(task.key) is \(describe(task.phase)); \(intent) does not apply")
        }
    }

    private static func record(_ task: TaskState, _ token: Token) -> TaskRecord {
        var value = TaskRecord(instanceKey: token.instanceKey, taskKey: task.key, attempt: task.attempt)
        value.elementInstanceKey = task.elementInstanceKey
        value.elementIndex = task.elementIndex
        value.topic = task.topic
        value.retries = task.retries
        return value
    }

    private static func describe(_ phase: TaskState.Phase) -> String {
        switch phase {
        case .active: return "active"
        case .waitingForRetry(let retryAt): return "waiting for a retry at \(retryAt)"
        case .incident: return "waiting on an incident"
        }
    }

    /// The worker's result is kept (appended to `taskResults`) before the output mappings
    /// run: if a mapping fails, the incident keeps the worker's variables and resolving it
    /// runs the mappings again, never the worker (Zeebe and Camunda behave so).
    private static func complete(_ task: TaskState, _ value: TaskRecord, _ token: Token, _ writer: inout StepWriter) {
        var completed = record(task, token)
        completed.data = value.data
        completed.variables = value.variables
        completed.startTime = task.activatedAt
        completed.endTime = writer.now
        completed.workerId = value.workerId
        writer.write(.taskCompleted, .task(completed))
        if token.element.outputs.isEmpty {
            writer.setVariables(value.variables, token.instanceKey, seenFrom: token.elementInstanceKey)
        } else {
            guard OutputMappings.apply(token, extra: value.variables, &writer) else { return }
        }
        var agenda = TokenAgenda()
        writer.leave(token, &agenda)
        writer.drain(token.instanceKey, agenda)
    }

    private static func fail(_ task: TaskState, _ value: TaskRecord, _ token: Token, _ writer: inout StepWriter) {
        var failed = record(task, token)
        failed.retries = max(0, value.retries)
        failed.errorMessage = value.errorMessage
        failed.errorDetails = value.errorDetails
        failed.retryTimeout = max(0, value.retryTimeout)
        failed.retryAt = writer.now + failed.retryTimeout
        failed.workerId = value.workerId
        writer.write(.taskFailed, .task(failed))
        if failed.retries == 0 {
            let message = value.errorMessage.isEmpty ? "task failed and has no retries left" : value.errorMessage
            writer.raiseIncident(.taskRetriesExhausted, token, message, taskKey: task.key)
        } else if failed.retryTimeout == 0, let waiting = writer.withInstance(token.instanceKey, { $0.tasks[task.key] }) {
            ExternalTaskBehavior.activate(waiting, instanceKey: token.instanceKey, retries: failed.retries, &writer)
        }
    }

    private static func throwError(_ task: TaskState, _ value: TaskRecord, _ token: Token, _ writer: inout StepWriter) {
        var thrown = record(task, token)
        thrown.errorCode = value.errorCode
        thrown.errorMessage = value.errorMessage
        thrown.variables = value.variables
        writer.write(.taskErrorThrown, .task(thrown))
        var agenda = TokenAgenda()
        if ErrorPropagation.catchError(code: value.errorCode, startingAt: token.elementInstanceKey, token.instanceKey, variables: value.variables, &writer, &agenda) {
            writer.drain(token.instanceKey, agenda)
        } else {
            let detail = value.errorMessage.isEmpty ? "" : " (\(value.errorMessage))"
            writer.raiseIncident(.unhandledError, token, "BPMN error '\(value.errorCode)'\(detail) is not caught by any error boundary event", taskKey: task.key)
        }
    }
}
