/// Creating, and the lifecycle of, a process instance.
public struct InstanceRecord: Sendable, Hashable {
    public var instanceKey: Int64 = 0
    public var processId: String = ""
    public var processVersion: Int32 = 0
    public var businessKey: String = ""
    public var variables: [String: JSONValue] = [:]
    /// For `createInstance`: the end of the deployments topic (the position after the last
    /// deployment) its producer resolved `processVersion` against; -1 when it names none.
    /// A replica that has read the deployments up to here decides deterministically whether
    /// the version exists. Record version 2 and later; version 1 records decode as -1.
    public var deploymentPosition: Int64 = -1
    /// For `createInstance`: start even when an instance of the same process is active for
    /// the same correlationId (by default that is rejected: one order, one instance).
    /// Record version 2 and later; version 1 records decode as false.
    public var allowDuplicate = false
    /// An instance a call activity started: the calling instance and the call activity's
    /// element instance (0 for an instance started on its own). Record version 3 and later.
    public var parentInstanceKey: Int64 = 0
    public var parentElementInstanceKey: Int64 = 0

    public init(
        instanceKey: Int64 = 0, processId: String = "", processVersion: Int32 = 0, businessKey: String = "",
        variables: [String: JSONValue] = [:], deploymentPosition: Int64 = -1, allowDuplicate: Bool = false
    ) {
        self.instanceKey = instanceKey
        self.processId = processId
        self.processVersion = processVersion
        self.businessKey = businessKey
        self.variables = variables
        self.deploymentPosition = deploymentPosition
        self.allowDuplicate = allowDuplicate
    }
}

/// A journal entry the runtime cannot hand to the engine as a command: it does not decode,
/// is too large, or sits on a partition its key does not map to. The runtime stands in for
/// it with a `refuseEntry` command at the entry's position, and the engine answers with a
/// rejection naming `reason`, so the partition goes on and replay skips the entry.
public struct EntryRecord: Sendable, Hashable {
    public var reason: String = ""
    /// The entry's size in bytes.
    public var size: Int64 = 0

    public init(reason: String = "", size: Int64 = 0) {
        self.reason = reason
        self.size = size
    }
}

/// A token movement: an element instance activated, completed or terminated, or a
/// sequence flow taken.
public struct ElementRecord: Sendable, Hashable {
    public var instanceKey: Int64 = 0
    public var elementInstanceKey: Int64 = 0
    public var elementIndex: Int32 = -1
    /// The element instance of the enclosing sub-process, or the instance key for the process scope.
    public var flowScopeKey: Int64 = 0
    /// For `sequenceFlowTaken`: the flow; otherwise -1.
    public var flowIndex: Int32 = -1

    public init(instanceKey: Int64 = 0, elementInstanceKey: Int64 = 0, elementIndex: Int32 = -1, flowScopeKey: Int64 = 0, flowIndex: Int32 = -1) {
        self.instanceKey = instanceKey
        self.elementInstanceKey = elementInstanceKey
        self.elementIndex = elementIndex
        self.flowScopeKey = flowScopeKey
        self.flowIndex = flowIndex
    }
}

/// An external task and what workers say about it. Unused fields stay at their zero value
/// (they cost one byte each in the journal).
public struct TaskRecord: Sendable, Hashable {
    public var instanceKey: Int64 = 0
    public var taskKey: Int64 = 0
    public var elementInstanceKey: Int64 = 0
    public var elementIndex: Int32 = -1
    public var topic: String = ""
    /// Which activation of the task a result answers; results for older attempts are rejected.
    public var attempt: Int32 = 0
    public var retries: Int32 = 0
    public var priority: Int32 = 0
    public var lockExpiresAt: Int64 = 0
    public var retryAt: Int64 = 0
    public var retryTimeout: Int64 = 0
    public var lockDuration: Int64 = 0
    public var errorCode: String = ""
    public var errorMessage: String = ""
    public var errorDetails: String = ""
    /// `complete`: the result appended to `taskResults`.
    public var data: JSONValue = .null
    /// Variables: the task's input (on `taskCreated`), or what the worker sends to merge.
    public var variables: [String: JSONValue] = [:]
    public var startTime: Int64 = 0
    public var endTime: Int64 = 0
    public var workerId: String = ""

    public init() {}

    public init(instanceKey: Int64, taskKey: Int64, attempt: Int32) {
        self.instanceKey = instanceKey
        self.taskKey = taskKey
        self.attempt = attempt
    }
}

/// Why an instance cannot move on without an operator.
public enum IncidentKind: UInt8, Sendable, Hashable {
    /// A task failed with no retries left.
    case taskRetriesExhausted = 1
    /// A task threw a BPMN error that no boundary event catches.
    case unhandledError = 2
    /// A condition, script, mapping or timer expression could not be evaluated.
    case expressionFailed = 3
    /// An exclusive or inclusive gateway found no flow to take.
    case noFlowTaken = 4
    /// A loop without a wait state moved the token through too many elements in one step.
    case stepLimitExceeded = 5
    /// An activity's output mapping failed as it completed. What completed it (a worker's
    /// result, a script's) is kept; resolving runs the mapping again, not the work.
    case outputMappingFailed = 6
    /// A call activity names a process that is not deployed (or calls nest too deep).
    case calledProcessMissing = 7
}

public struct IncidentRecord: Sendable, Hashable {
    public var instanceKey: Int64 = 0
    public var incidentKey: Int64 = 0
    public var elementInstanceKey: Int64 = 0
    public var elementIndex: Int32 = -1
    /// The task the incident is about, or 0.
    public var taskKey: Int64 = 0
    public var kind: IncidentKind = .taskRetriesExhausted
    public var message: String = ""
    /// `resolveIncident`: the retries the task gets back.
    public var retries: Int32 = 0
    /// `resolveIncident`: variables to merge before retrying.
    public var variables: [String: JSONValue] = [:]

    public init() {}

    public init(instanceKey: Int64, incidentKey: Int64, retries: Int32 = 0, variables: [String: JSONValue] = [:]) {
        self.instanceKey = instanceKey
        self.incidentKey = incidentKey
        self.retries = retries
        self.variables = variables
    }
}

public struct TimerRecord: Sendable, Hashable {
    public var instanceKey: Int64 = 0
    public var timerKey: Int64 = 0
    /// The element instance that waits (the timer catch event, or the activity a boundary
    /// sits on). A timer start event's timer has no instance (`instanceKey` 0, the record's
    /// key is the process id): this is the version of the process it starts.
    public var elementInstanceKey: Int64 = 0
    /// The timer element (catch event or boundary event).
    public var elementIndex: Int32 = -1
    public var dueAt: Int64 = 0
    /// A cycle timer's firings left after this one (-1: no end; 0: none, also in records
    /// before version 3).
    public var repetitions: Int32 = 0

    public init(
        instanceKey: Int64 = 0, timerKey: Int64 = 0, elementInstanceKey: Int64 = 0, elementIndex: Int32 = -1, dueAt: Int64 = 0,
        repetitions: Int32 = 0
    ) {
        self.instanceKey = instanceKey
        self.timerKey = timerKey
        self.elementInstanceKey = elementInstanceKey
        self.elementIndex = elementIndex
        self.dueAt = dueAt
        self.repetitions = repetitions
    }
}

/// Variables merged into an instance's process scope.
public struct VariablesRecord: Sendable, Hashable {
    public var instanceKey: Int64 = 0
    public var variables: [String: JSONValue] = [:]
    /// The element instance whose local variables these are (a multi-instance body or one
    /// of its inner instances); 0: the process scope. Since record version 3.
    public var scopeKey: Int64 = 0

    public init(instanceKey: Int64 = 0, variables: [String: JSONValue] = [:], scopeKey: Int64 = 0) {
        self.instanceKey = instanceKey
        self.variables = variables
        self.scopeKey = scopeKey
    }
}
