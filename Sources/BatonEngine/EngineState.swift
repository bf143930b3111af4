import BatonModel

/// The state of one partition: everything the fold of its journal has built. Only
/// appliers change it (see `EventApplier`); processors read it.
public struct EngineState: Sendable, Hashable {
    /// Active process instances by key. Completed instances are removed.
    public internal(set) var instances: [Int64: InstanceState] = [:]
    /// The highest command position answered; commands at or below it are duplicates.
    public internal(set) var lastCommandPosition: Int64 = -1
    /// Keys of the active instances of each correlationId (usually one): what a
    /// `createInstance` checks so that one order gets one instance. Derived from `instances`
    /// by the appliers (and rebuilt from them when a snapshot loads).
    public internal(set) var instancesByCorrelation: [String: CorrelatedInstances] = [:]
    /// Timers, lock expiries and retries, by when they are due (derived from `instances`,
    /// kept by the appliers).
    public internal(set) var dueWork = DueWorkIndex()
    /// Open incidents, and instances with at least one, counted as they change.
    public internal(set) var openIncidents = 0
    public internal(set) var instancesWithIncidents = 0
    /// Open message subscriptions of the active instances by address, oldest first
    /// (derived from the instances' subscriptions, kept by the appliers).
    public internal(set) var subscriptionsByAddress: [MessageAddress: [SubscriptionReference]] = [:]
    /// Published messages within their time to live.
    public internal(set) var messages = MessageBuffer()
    /// Subscriptions of instances on other partitions whose correlation key belongs here,
    /// by address, oldest first.
    public internal(set) var remoteSubscriptions: [MessageAddress: [RemoteSubscription]] = [:]
    /// For each source partition ("topic/partition") events were ingested from, and each
    /// journal partition whose outbox sent commands here, the highest offset applied: a
    /// redelivered event or command is a duplicate (O(source partitions) state).
    public internal(set) var sourceOffsets: [String: Int64] = [:]
    /// The timers of timer start events (held by no instance), by timer key.
    public internal(set) var startTimers: [Int64: StartTimer] = [:]
    /// For each process whose timer start events this partition schedules, the newest
    /// version whose timers were scheduled: an older or equal version is not scheduled again.
    public internal(set) var startTimerVersions: [String: Int32] = [:]

    public init() {}

    mutating func removeSubscription(_ reference: SubscriptionReference, at address: MessageAddress) {
        guard var references = subscriptionsByAddress.removeValue(forKey: address) else { return }
        references.removeAll { $0 == reference }
        if !references.isEmpty { subscriptionsByAddress[address] = references }
    }

    /// Changes an instance in place through the dictionary's values view, which neither
    /// copies the instance nor wraps it in an optional. Returns nil if it does not exist.
    @inline(__always)
    mutating func modifyInstance<Result>(_ key: Int64, _ body: (inout InstanceState) -> Result) -> Result? {
        guard let index = instances.index(forKey: key) else { return nil }
        return body(&instances.values[index])
    }
}

/// One running process instance.
public struct InstanceState: Sendable, Hashable {
    public let key: Int64
    public let processId: String
    public let processVersion: Int32
    /// The registry index of the definition (see `ProcessRegistry`).
    public let definition: Int32
    public let correlationId: String
    public let businessKey: String
    public let startTime: Int64
    /// The process scope's variables.
    public internal(set) var variables: [String: JSONValue]
    /// The instance and call activity element instance that started this one (0: none).
    public internal(set) var parentInstanceKey: Int64 = 0
    public internal(set) var parentElementInstanceKey: Int64 = 0
    /// Local variables by element instance (a multi-instance body's counts and output
    /// collection, an inner instance's item and loop counter); gone when it ends.
    public internal(set) var locals: [Int64: [String: JSONValue]] = [:]
    /// Append-only: one entry per completed task, in completion order.
    public internal(set) var taskResults: [TaskResult] = []
    /// Active element instances (tokens) by key.
    public internal(set) var elements: [Int64: ElementInstance] = [:]
    /// Element instances active directly in the process scope.
    public internal(set) var rootChildren: Int32 = 0
    public internal(set) var tasks: [Int64: TaskState] = [:]
    public internal(set) var timers: [Int64: TimerState] = [:]
    /// Open message subscriptions by key.
    public internal(set) var subscriptions: [Int64: SubscriptionState] = [:]
    public internal(set) var incidents: [Int64: IncidentState] = [:]
    /// Tokens that arrived at a joining gateway and wait there: per join, arrivals per flow.
    public internal(set) var joins: [JoinPoint: [Int32: Int32]] = [:]

    /// The variables an element instance sees: the process scope's, overlaid by the local
    /// variables of its enclosing element instances, innermost last (a multi-instance inner
    /// instance sees its item over everything else).
    public func variables(inScopeOf elementInstanceKey: Int64) -> [String: JSONValue] {
        guard !locals.isEmpty else { return variables }
        var scopes: [[String: JSONValue]] = []
        var key = elementInstanceKey
        while key != self.key, let element = elements[key] {
            if let own = locals[key] { scopes.append(own) }
            key = element.flowScopeKey
        }
        guard !scopes.isEmpty else { return variables }
        var seen = variables
        for scope in scopes.reversed() { seen.merge(scope) { $1 } }
        return seen
    }

    /// The `ProcessTaskResults` DTO of this instance.
    public var processTaskResults: ProcessTaskResults {
        ProcessTaskResults(
            correlationId: correlationId,
            processMetadata: ProcessMetadata(
                processId: processId, processVersion: processVersion, processInstanceKey: key, businessKey: businessKey,
                startTime: startTime),
            taskResults: taskResults)
    }
}

/// A token: an element instance that has been activated and not yet left.
public struct ElementInstance: Sendable, Hashable {
    public let key: Int64
    public let elementIndex: Int32
    /// The enclosing sub-process instance, or the process instance key.
    public let flowScopeKey: Int64
    /// For sub-processes: element instances active inside.
    public internal(set) var activeChildren: Int32 = 0
}

/// Where a joining gateway waits: the gateway and the scope instance it waits in.
public struct JoinPoint: Sendable, Hashable {
    public let scopeKey: Int64
    public let gateway: Int32
}

public struct TaskState: Sendable, Hashable {
    public enum Phase: Sendable, Hashable {
        /// Published to workers; a worker's lock runs out at this time.
        case active(lockExpiresAt: Int64)
        /// Failed with retries left; re-activated at this time.
        case waitingForRetry(retryAt: Int64)
        /// Waiting for an operator.
        case incident
    }

    public let key: Int64
    public let elementInstanceKey: Int64
    public let elementIndex: Int32
    public let topic: String
    public let priority: Int32
    public internal(set) var attempt: Int32
    public internal(set) var retries: Int32
    public internal(set) var phase: Phase
    /// When the current attempt was published (the `startTime` of its result).
    public internal(set) var activatedAt: Int64
    public internal(set) var lastError: String = ""
    /// The worker that locked the current attempt (`extendTaskLock` with a workerId); empty
    /// while no worker has claimed it. Answers from another worker are rejected.
    public internal(set) var lockOwner: String = ""
}

public struct TimerState: Sendable, Hashable {
    public let key: Int64
    public let elementInstanceKey: Int64
    public let elementIndex: Int32
    public let dueAt: Int64
    /// A cycle timer's firings left after this one (-1: no end).
    public var repetitions: Int32 = 0
}

/// The timer of a timer start event: when it fires, an instance of `processId` version
/// `version` starts at `elementIndex`.
public struct StartTimer: Sendable, Hashable {
    public let key: Int64
    public let processId: String
    public let version: Int32
    public let elementIndex: Int32
    public let dueAt: Int64
    /// A cycle's firings left after this one (-1: no end).
    public let repetitions: Int32
}

public struct IncidentState: Sendable, Hashable {
    public let key: Int64
    public let kind: IncidentKind
    public let elementInstanceKey: Int64
    public let elementIndex: Int32
    public let taskKey: Int64
    public let message: String
    /// For `outputMappingFailed`: the variables the completion brought (a worker's), which
    /// the mapping reads again when the incident is resolved.
    public let variables: [String: JSONValue]
}
