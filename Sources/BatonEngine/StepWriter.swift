import BatonModel

/// Collects what processing one command produces. Writing an event applies it at once, so
/// a processor always reads the state its own earlier events made.
struct StepWriter {
    var state: EngineState
    let processes: ProcessRegistry
    let configuration: EngineConfiguration
    let command: Record
    /// The engine's time for this command: the step time the runtime chose (see `now`).
    let now: Int64
    private(set) var records: [Record] = []
    private var keyCounter: Int64 = 0
    private var outboxCounter: Int64 = 0
    /// Element activations so far in this command (bounded: see `EngineConfiguration`).
    var activations = 0
    /// The key events are written with: the correlationId of the instance they belong to.
    /// The command's key, except while a signal moves instances of other correlationIds or
    /// starts an instance with a correlationId of its own (`SignalProcessor`).
    var recordKey: String

    init(state: EngineState, processes: ProcessRegistry, configuration: EngineConfiguration, command: Record, time: Int64) {
        self.state = state
        self.processes = processes
        self.configuration = configuration
        self.command = command
        recordKey = command.key
        now = time
        records.reserveCapacity(16)
    }

    /// A key unique in the partition, derived from the command's position: partition in the
    /// top 8 bits, position in the next 36, a per-command counter in the low 20.
    mutating func nextKey() -> Int64 {
        keyCounter += 1
        precondition(keyCounter < 1 << 20, "more than 2^20 keys for one command")
        return Int64(command.partition) << 56 | command.position << 20 | keyCounter
    }

    mutating func write(_ intent: Intent, _ value: RecordValue) {
        let record = Record(
            recordType: .event, intent: intent, partition: command.partition, position: command.position,
            sourcePosition: command.position, timestamp: now, key: recordKey, value: value)
        EventApplier.apply(record, to: &state, processes: processes)
        records.append(record)
    }

    /// Reads (or changes) an instance in place. `state.instances[key]` as a value would copy
    /// the instance, retaining every collection in it; this goes through the dictionary's
    /// modify accessor instead.
    ///
    /// - Precondition: the instance exists.
    @inline(__always)
    mutating func withInstance<Result>(_ instanceKey: Int64, _ body: (inout InstanceState) -> Result) -> Result {
        state.modifyInstance(instanceKey, body)!
    }

    /// Whether the instance is still active, without copying it.
    func isActive(_ instanceKey: Int64) -> Bool { state.instances.index(forKey: instanceKey) != nil }

    /// A command for another journal partition (the outbox, DESIGN.md §4): kept in the step
    /// and appended to `partition` by the runtime once the step is durable. Returns the
    /// command's offset among this partition's outbox commands (this command's position
    /// << 10 | its index), by which the receiver drops a second delivery.
    @discardableResult
    mutating func send(_ intent: Intent, key: String, to partition: Int32, _ value: (Int64) -> RecordValue) -> Int64 {
        outboxCounter += 1
        precondition(outboxCounter < 1 << 10, "more than 1023 outbox commands for one command")
        let offset = command.position << 10 | outboxCounter
        records.append(Record(
            recordType: .command, intent: intent, partition: partition, position: -1, sourcePosition: command.position,
            timestamp: now, key: key, value: value(offset)))
        return offset
    }

    /// The journal partition a key belongs to (murmur2, as everywhere).
    func partition(ofKey key: String) -> Int32 {
        configuration.journalPartitions > 1 ? Murmur2.partition(forKey: key, partitions: configuration.journalPartitions) : command.partition
    }

    mutating func reject(_ reason: String) {
        let record = Record(
            recordType: .rejection, intent: command.intent, partition: command.partition, position: command.position,
            sourcePosition: command.position, timestamp: now, key: command.key, value: command.value,
            rejectionReason: reason)
        EventApplier.apply(record, to: &state, processes: processes)
        records.append(record)
    }
}

/// Tunables of the engine; part of what makes processing deterministic, so every replica of
/// a partition must use the same values.
public struct EngineConfiguration: Sendable, Hashable {
    /// How long a worker holds a task before it is re-published (Camunda's lockDuration).
    public var lockDuration: Int64
    /// Most elements one command may move a token through: a loop without a wait state
    /// becomes an incident instead of running forever.
    public var maximumActivationsPerCommand: Int
    /// Most bytes (as JSON) an instance's variables may take; a command that would make
    /// them larger is rejected with the reason.
    public var maximumVariablesBytes: Int
    /// Most bytes (as JSON) one answer to a task may bring: data, variables, error texts.
    public var maximumTaskResultBytes: Int
    /// The journal's partition count: a message subscription whose correlation key maps to
    /// another partition (murmur2) than its instance cannot be reached by the message.
    public var journalPartitions: Int32

    public init(
        lockDuration: Int64 = 300_000, maximumActivationsPerCommand: Int = 4096,
        maximumVariablesBytes: Int = 256 * 1024, maximumTaskResultBytes: Int = 256 * 1024, journalPartitions: Int32 = 1
    ) {
        self.journalPartitions = journalPartitions
        self.lockDuration = lockDuration
        self.maximumActivationsPerCommand = maximumActivationsPerCommand
        self.maximumVariablesBytes = maximumVariablesBytes
        self.maximumTaskResultBytes = maximumTaskResultBytes
    }
}
