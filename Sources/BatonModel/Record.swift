/// Whether a record asks for something, states what happened, or refuses a command.
public enum RecordType: UInt8, Sendable, Hashable {
    case command = 1
    case event = 2
    case rejection = 3
}

/// What a record is about.
public enum ValueType: UInt8, Sendable, Hashable {
    case processInstance = 1
    case element = 2
    case task = 3
    case incident = 4
    case timer = 5
    case variables = 6
    case journalEntry = 7
    case message = 8
    case messageSubscription = 9
}

/// What a record says. Codes are stable and never reused: old journals still hold them.
/// Commands are imperative, events past tense.
public enum Intent: UInt16, Sendable, Hashable, CaseIterable {
    // Process instances.
    case createInstance = 100
    /// An operator ends an instance: every element is terminated, nothing continues.
    case cancelInstance = 101
    /// Asks the partition a process id belongs to for the timers of the timer start events
    /// of that process's latest version (`InstanceRecord` names the process, the version and
    /// the deployments position); those of older versions are canceled. Appended by whoever
    /// deploys, and by an engine that recovers the partition and finds them missing;
    /// rejected when that version's timers are scheduled already.
    case scheduleStartTimers = 102
    case instanceCreated = 110
    case instanceCompleted = 111
    case instanceCanceled = 112
    // Element instances and token movement.
    case elementActivated = 210
    case elementCompleted = 211
    case elementTerminated = 212
    case sequenceFlowTaken = 213
    // External tasks.
    case completeTask = 300
    case failTask = 301
    case throwTaskError = 302
    case expireTaskLock = 303
    case retryTask = 304
    case extendTaskLock = 305
    /// A worker gives its lock back: the task is published again at once (a new attempt,
    /// no retry consumed), as Camunda's `unlock`.
    case unlockTask = 306
    case taskCreated = 310
    case taskCompleted = 311
    case taskFailed = 312
    case taskErrorThrown = 313
    case taskLockExpired = 314
    case taskActivated = 315
    case taskLockExtended = 316
    case taskCanceled = 317
    // Incidents.
    case resolveIncident = 400
    case incidentCreated = 410
    case incidentResolved = 411
    // Timers.
    case triggerTimer = 500
    case timerCreated = 510
    case timerTriggered = 511
    case timerCanceled = 512
    // Variables.
    /// An operator sets variables of an instance (merged into its process scope).
    case setVariables = 600
    case variablesUpdated = 610
    // Journal entries the runtime refuses (see `EntryRecord`); only ever rejected.
    case refuseEntry = 700
    // Messages (BPMN message events) and events ingested from a source topic.
    /// Correlates a message to every instance waiting for it (at most one subscription per
    /// instance), starts the processes it starts, and buffers it for its time to live.
    case publishMessage = 800
    /// Correlates a message now (to `instanceKey` only, when given) or starts a process
    /// with it; rejected when nothing takes it. Never buffered.
    case correlateMessage = 801
    /// A buffered message's time to live has passed (appended by the runtime).
    case expireMessage = 802
    /// An event of a source topic (`baton ingest`): applied at most once per source offset,
    /// then started, correlated or published as its rule says.
    case ingestEvent = 803
    /// From the outbox of the partition a message was published on: the message reached
    /// a subscription of an instance of this partition.
    case correlateSubscription = 806
    /// A signal is broadcast (BPMN 2.0.2 §10.5.5) on the partition of its name, from the API
    /// or thrown by an instance (through the outbox, deduplicated by its source): the processes
    /// whose signal start event it is start here, every subscription of its name here is
    /// triggered, and the signal goes on to every other partition as `deliverSignal`.
    case broadcastSignal = 807
    /// From the outbox of the partition a signal was broadcast on: every subscription of
    /// its name on this partition is triggered (nothing starts here). Keyed by the signal's
    /// name, on every partition: the one command the runtime takes on a partition its key
    /// does not map to.
    case deliverSignal = 808
    case messagePublished = 810
    case messageCorrelated = 811
    case messageExpired = 812
    /// The source offset of an ingested event (or of a command from another partition's
    /// outbox) is applied; redeliveries are rejected.
    case eventIngested = 813
    /// A message throw event, message end event or send task without a task topic sent its
    /// message: the runtime publishes it to `baton.messages` once the step is durable.
    case messageThrown = 814
    /// A signal reached this partition: written before the subscriptions it triggers.
    case signalBroadcast = 815
    // Message subscriptions: an element instance waits for a message.
    /// From another partition's outbox: an instance there waits for a message whose
    /// correlation key belongs to this partition.
    case openMessageSubscription = 900
    /// From another partition's outbox: that subscription is no longer waiting.
    case closeMessageSubscription = 901
    case messageSubscriptionOpened = 910
    case messageSubscriptionClosed = 911
    /// This partition holds the subscription of an instance on another partition (its
    /// correlation key belongs here), or no longer does.
    case remoteSubscriptionOpened = 912
    case remoteSubscriptionClosed = 913

    public var valueType: ValueType {
        switch rawValue / 100 {
        case 1: return .processInstance
        case 2: return .element
        case 3: return .task
        case 4: return .incident
        case 5: return .timer
        case 6: return .variables
        case 8: return .message
        case 9: return .messageSubscription
        default: return .journalEntry
        }
    }

    /// Commands have codes ending below 10 within their hundred.
    public var isCommand: Bool { rawValue % 100 < 10 }
}

/// One entry of the journal.
public struct Record: Sendable, Hashable {
    public var recordType: RecordType
    public var intent: Intent
    /// Version of the value layout; the codec and the appliers dispatch on it, so journals
    /// written by older Batons replay exactly. 1: the first layout. 2: `InstanceRecord`
    /// gained `deploymentPosition` and `allowDuplicate` (the fold is the same). 3:
    /// `VariablesRecord` gained `scopeKey` (local variables of multi-instance activities;
    /// older records are all of the process scope), `InstanceRecord` the keys of the
    /// calling instance and call activity (0 in older records: none) and `TimerRecord` the
    /// repetitions a cycle timer has left (0 in older records).
    public var version: UInt8
    public var partition: Int32
    /// The log position of the message holding this record.
    public var position: Int64
    /// For events and rejections: the position of the command that caused it; -1 for commands.
    public var sourcePosition: Int64
    /// In ms since the epoch. Events and rejections: the engine's step time. Commands: what
    /// the producer claimed (metadata only).
    public var timestamp: Int64
    /// The correlationId: the partitioning key of the instance.
    public var key: String
    public var value: RecordValue
    /// For rejections: why, in words a person can act on.
    public var rejectionReason: String

    /// The version this Baton writes; it reads every version from 1 up to this one.
    public static let currentVersion: UInt8 = 3

    public init(
        recordType: RecordType, intent: Intent, version: UInt8 = Record.currentVersion, partition: Int32,
        position: Int64, sourcePosition: Int64 = -1, timestamp: Int64, key: String, value: RecordValue,
        rejectionReason: String = ""
    ) {
        self.recordType = recordType
        self.intent = intent
        self.version = version
        self.partition = partition
        self.position = position
        self.sourcePosition = sourcePosition
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.rejectionReason = rejectionReason
    }

    /// A command as a producer appends it; the log assigns the position.
    public static func command(
        _ intent: Intent, key: String, value: RecordValue, timestamp: Int64, partition: Int32 = 0, position: Int64 = -1
    ) -> Record {
        Record(recordType: .command, intent: intent, partition: partition, position: position, timestamp: timestamp, key: key, value: value)
    }
}

/// The value of a record, one case per value type.
///
/// The large payloads are boxed (`indirect`) so that a `Record` stays small: records are
/// copied into steps and journals, and the token-movement records (element, timer,
/// variables) stay inline.
public enum RecordValue: Sendable, Hashable {
    indirect case instance(InstanceRecord)
    case element(ElementRecord)
    indirect case task(TaskRecord)
    indirect case incident(IncidentRecord)
    case timer(TimerRecord)
    case variables(VariablesRecord)
    indirect case entry(EntryRecord)
    indirect case message(MessageRecord)
    indirect case subscription(SubscriptionRecord)

    /// The process instance the record belongs to (0 for a journal entry).
    public var instanceKey: Int64 {
        switch self {
        case .instance(let value): return value.instanceKey
        case .element(let value): return value.instanceKey
        case .task(let value): return value.instanceKey
        case .incident(let value): return value.instanceKey
        case .timer(let value): return value.instanceKey
        case .variables(let value): return value.instanceKey
        case .message(let value): return value.instanceKey
        case .subscription(let value): return value.instanceKey
        case .entry: return 0
        }
    }
}

/// All records produced by processing one batch of commands of one partition: appended as
/// ONE journal message, so it is atomic on every backend (DESIGN.md §6).
public struct Step: Sendable, Hashable {
    public var partition: Int32
    /// Positions of the commands this step answers, in order.
    public var commandPositions: [Int64]
    /// Events and rejections, in the order they were written (and applied).
    public var records: [Record]

    public init(partition: Int32, commandPositions: [Int64], records: [Record]) {
        self.partition = partition
        self.commandPositions = commandPositions
        self.records = records
    }
}
