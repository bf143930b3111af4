import BatonModel

/// The deterministic core of one partition: `(state, command) -> events`.
///
/// No I/O, no clock, no randomness: time is the step time the runtime passes in (its own
/// clock, recorded as every produced record's timestamp) and keys come from the command's
/// position, so processing the same journal prefix at the same step time always yields the
/// same records. A command's own timestamp is what its producer claimed: metadata, never
/// used for timers, lock expiry or retries (DESIGN.md §3).
/// Each command runs to its next wait state (an external task, a timer, a join that waits,
/// an incident) inside one call.
public struct Engine: Sendable {
    public let partition: Int32
    public let configuration: EngineConfiguration
    public var processes: ProcessRegistry
    public private(set) var state: EngineState

    public init(partition: Int32, processes: ProcessRegistry, configuration: EngineConfiguration = EngineConfiguration(), state: EngineState = EngineState()) {
        self.partition = partition
        self.processes = processes
        self.configuration = configuration
        self.state = state
    }

    /// Processes one command at the engine time `time` and returns the events and
    /// rejections it produced, already applied to `state` and stamped with `time`. A command
    /// at or below the last answered position is a duplicate and produces nothing.
    ///
    /// - Precondition: `command` is a command whose position was assigned by the log.
    public mutating func process(_ command: Record, at time: Int64) -> [Record] {
        precondition(command.recordType == .command, "only commands are processed")
        guard command.position > state.lastCommandPosition else { return [] }
        var writer = StepWriter(state: EngineState(), processes: processes, configuration: configuration, command: command, time: time)
        swap(&writer.state, &state)
        CommandProcessor.process(&writer)
        swap(&writer.state, &state)
        return writer.records
    }

    /// Processes a batch of commands into one step (one journal message) at the step time.
    public mutating func process(batch commands: [Record], at time: Int64) -> Step {
        var records: [Record] = []
        var answered: [Int64] = []
        for command in commands {
            let produced = process(command, at: time)
            guard !produced.isEmpty else { continue }
            answered.append(command.position)
            records.append(contentsOf: produced)
        }
        return Step(partition: partition, commandPositions: answered, records: records)
    }

    /// Replay: applies an event or rejection read back from the journal.
    public mutating func apply(_ record: Record) {
        EventApplier.apply(record, to: &state, processes: processes)
    }
}

/// Routes a command to its processor.
enum CommandProcessor {
    static func process(_ writer: inout StepWriter) {
        let command = writer.command
        switch (command.intent, command.value) {
        case (.createInstance, .instance(let value)):
            InstanceProcessor.create(value, &writer)
        case (.completeTask, .task(let value)), (.failTask, .task(let value)), (.throwTaskError, .task(let value)),
            (.expireTaskLock, .task(let value)), (.retryTask, .task(let value)), (.extendTaskLock, .task(let value)),
            (.unlockTask, .task(let value)):
            TaskProcessor.process(command.intent, value, &writer)
        case (.resolveIncident, .incident(let value)):
            IncidentProcessor.resolve(value, &writer)
        case (.triggerTimer, .timer(let value)) where value.instanceKey == 0:
            StartTimers.fire(value, &writer)
        case (.triggerTimer, .timer(let value)):
            TimerProcessor.trigger(value, &writer)
        case (.scheduleStartTimers, .instance(let value)):
            StartTimers.schedule(value, &writer)
        case (.cancelInstance, .instance(let value)):
            OperatorProcessor.cancel(value, &writer)
        case (.setVariables, .variables(let value)):
            OperatorProcessor.setVariables(value, &writer)
        case (.publishMessage, .message(let value)):
            MessageProcessor.publish(value, &writer)
        case (.correlateMessage, .message(let value)):
            MessageProcessor.correlate(value, &writer)
        case (.expireMessage, .message(let value)):
            MessageProcessor.expire(value, &writer)
        case (.ingestEvent, .message(let value)):
            MessageProcessor.ingest(value, &writer)
        case (.openMessageSubscription, .subscription(let value)):
            MessageProcessor.openRemote(value, &writer)
        case (.closeMessageSubscription, .subscription(let value)):
            MessageProcessor.closeRemote(value, &writer)
        case (.correlateSubscription, .message(let value)):
            MessageProcessor.correlateSubscription(value, &writer)
        case (.broadcastSignal, .message(let value)):
            SignalProcessor.broadcast(value, &writer)
        case (.deliverSignal, .message(let value)):
            SignalProcessor.deliver(value, &writer)
        case (.refuseEntry, .entry(let value)):
            writer.reject(value.reason)
        default:
            writer.reject("\(command.intent) with a \(command.intent.valueType) value is not a command the engine accepts")
        }
    }
}
