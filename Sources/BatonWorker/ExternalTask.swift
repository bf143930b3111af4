import BatonModel

/// A task handed to a worker's handler: the fields of a Camunda external task (through
/// `message`) and the `ProcessTaskResults` DTO.
public struct ExternalTask: Sendable {
    public let message: TaskMessage
    /// The worker that holds the task.
    public let workerId: String

    public var id: String { message.id }
    public var topicName: String { message.topicName }
    public var activityId: String { message.activityId }
    public var activityInstanceId: String { message.activityInstanceId }
    public var processInstanceId: String { message.processInstanceId }
    public var processDefinitionKey: String { message.processDefinitionKey }
    public var businessKey: String { message.businessKey }
    public var correlationId: String { message.correlationId }
    public var variables: [String: JSONValue] { message.variables }
    public var retries: Int32 { message.retries }
    public var priority: Int32 { message.priority }
    public var tenantId: String? { message.tenantId }
    public var lockExpirationTime: Int64 { message.lockExpirationTime }
    public var processTaskResults: JSONValue { message.processTaskResults }
}

/// What a handler decides about a task.
public enum TaskOutcome: Sendable, Hashable {
    /// Done: `data` is appended to `taskResults`, `variables` are merged (or output-mapped).
    case complete(data: JSONValue = .null, variables: [String: JSONValue] = [:])
    /// Failed: with `retries` left the task comes back after `retryTimeout` ms; with 0 it
    /// becomes an incident.
    case failure(message: String, details: String = "", retries: Int32, retryTimeout: Int64 = 0)
    /// A business error for the process to handle (an error boundary event catches `code`).
    case bpmnError(code: String, message: String = "", variables: [String: JSONValue] = [:])
}

/// How a worker gets tasks and answers them: over the embedded log, Kafka, or a test double.
public protocol TaskTransport: Sendable {
    /// Up to `limit` task messages of `topic` not yet handed to this worker group.
    func fetch(topic: String, limit: Int) throws -> [TaskMessage]
    /// Marks everything fetched so far for `topic` as handled (after the answers are sent).
    func acknowledge(topic: String) throws
    /// Appends task commands (complete, failure, bpmnError, extendLock) of one journal
    /// partition to the journal as one batch.
    func send(_ commands: [Record], partition: Int32) throws
    /// The transport's clock, in ms since the epoch.
    func now() -> Int64
    /// Gives this worker's share of the task topics back to the other workers of each
    /// group (after the last answers are sent).
    func leave()
    /// Where fetching `topic` has got to (per partition, the next position): what a later
    /// `acknowledge(topic:through:)` marks as handled.
    func fetchMark(topic: String) -> [Int32: Int64]
    /// Marks what was fetched for `topic` up to `mark` as handled (its answers are sent).
    func acknowledge(topic: String, through mark: [Int32: Int64]) throws
    /// Records `mark` as handled without waiting on anything (no disk, no network); true
    /// when a commit is due, and the caller then calls `acknowledge(topic:through:)` on a
    /// blocking thread. Transports that commit every mark return true and record nothing.
    func markAnswered(topic: String, through mark: [Int32: Int64]) -> Bool
    /// Like `fetch`, when it can be done without waiting on anything (reads of local memory
    /// or files, no commit, no change of the partitions held); nil when `fetch` must be
    /// called on a blocking thread.
    func fetchWithoutWaiting(topic: String, limit: Int) throws -> [TaskMessage]?
    /// Waits for new tasks of `topics` after their fetches found none. Where the transport
    /// hears of every task as it is published (the file log's), at most `atMost` ms, a
    /// safety net; elsewhere it polls: `poll` ms.
    func waitForTasks(topics: [String], atMost: UInt64, poll: UInt64) async
}

extension TaskTransport {
    public func leave() {}
    /// Transports without marks acknowledge everything fetched (only correct when nothing
    /// fetched after the mark is unanswered, as in `Worker.poll`).
    public func fetchMark(topic: String) -> [Int32: Int64] { [:] }
    public func acknowledge(topic: String, through mark: [Int32: Int64]) throws { try acknowledge(topic: topic) }
    public func markAnswered(topic: String, through mark: [Int32: Int64]) -> Bool { true }
    public func fetchWithoutWaiting(topic: String, limit: Int) throws -> [TaskMessage]? { nil }
    public func waitForTasks(topics: [String], atMost: UInt64, poll: UInt64) async {
        try? await Task.sleep(nanoseconds: poll * 1_000_000)
    }
}

extension TaskOutcome {
    /// complete, failure or bpmnError (as in the JSON answers).
    public var name: String {
        switch self {
        case .complete: "complete"
        case .failure: "failure"
        case .bpmnError: "bpmnError"
        }
    }

    /// The journal command that reports this outcome for `task`.
    func command(for task: ExternalTask, now: Int64) -> Record {
        var value = TaskRecord(instanceKey: Int64(task.processInstanceId) ?? 0, taskKey: task.message.taskKey, attempt: task.message.attempt)
        value.workerId = task.workerId
        let intent: Intent
        switch self {
        case .complete(let data, let variables):
            intent = .completeTask
            value.data = data
            value.variables = variables
        case .failure(let message, let details, let retries, let retryTimeout):
            intent = .failTask
            value.errorMessage = message
            value.errorDetails = details
            value.retries = retries
            value.retryTimeout = retryTimeout
        case .bpmnError(let code, let message, let variables):
            intent = .throwTaskError
            value.errorCode = code
            value.errorMessage = message
            value.variables = variables
        }
        return .command(intent, key: task.correlationId, value: .task(value), timestamp: now, partition: task.message.partition)
    }
}
