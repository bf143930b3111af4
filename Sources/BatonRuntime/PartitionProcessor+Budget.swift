import BatonEngine
import BatonLog
import BatonModel

/// A step is one log message (DESIGN.md §6), so it must fit the backend's message limit:
/// the records of a batch are split across as many steps as needed, whole commands each.
enum StepBudget {
    enum Encoded {
        /// The step as journal messages, each within the budget.
        case messages([[UInt8]])
        /// One command alone produced more than a step may hold.
        case oversizedCommand(position: Int64, bytes: Int)
    }

    /// Most bytes a step header takes besides its positions.
    private static let headerBytes = 24
    /// Most bytes one command position takes in a step header.
    private static let positionBytes = 10

    static func encode(_ step: Step, maximumBytes: Int) -> Encoded {
        let whole = RecordCodec.encode(step)
        guard whole.count > maximumBytes else { return .messages([whole]) }
        // Each command's records, in order (they are contiguous: commands run one by one).
        var groups: [(position: Int64, records: [Record])] = []
        for record in step.records {
            if groups.last?.position == record.sourcePosition {
                groups[groups.count - 1].records.append(record)
            } else {
                groups.append((record.sourcePosition, [record]))
            }
        }
        func encoded(_ chosen: ArraySlice<(position: Int64, records: [Record])>) -> [UInt8] {
            RecordCodec.encode(Step(partition: step.partition, commandPositions: chosen.map(\.position), records: chosen.flatMap(\.records)))
        }
        var messages: [[UInt8]] = []
        var start = 0
        var bytes = headerBytes
        for index in groups.indices {
            let alone = encoded(groups[index...index]).count
            guard alone <= maximumBytes else { return .oversizedCommand(position: groups[index].position, bytes: alone) }
            let added = alone - headerBytes + positionBytes
            if index > start, bytes + added > maximumBytes {
                messages.append(encoded(groups[start..<index]))
                start = index
                bytes = headerBytes
            }
            bytes += added
        }
        messages.append(encoded(groups[start...]))
        return .messages(messages)
    }
}

extension PartitionProcessor {
    /// One command produced more records than a step may hold: it is refused instead (a
    /// rejection and a dead letter, like any poison pill), and since its records are already
    /// in the state, the partition is rebuilt from the log (after a flush, so nothing this
    /// processor wrote is missed).
    func refuseOversizedCommand(at position: Int64, bytes: Int) throws {
        oversizedCommands[position] = "processing it produced \(bytes) bytes of records, more than the \(options.maximumStepBytes) one step may hold"
        warn("journal partition \(partition): the command at position \(position) produced \(bytes) bytes of records, more than a step may hold (\(options.maximumStepBytes)); it is refused, and the partition is rebuilt from the log")
        try log.flush()
        unflushedSteps = false
        try rebuildFromLog()
    }

    /// Publishing a task message larger than `maximumTaskMessageBytes` would fail at the
    /// broker, and workers would never see the task: the task becomes an incident instead,
    /// through a `failTask` command with no retries (so the decision is in the journal).
    func refuseOversizedTaskMessage(_ task: TaskRecord, correlationId: String, bytes: Int) throws {
        var value = TaskRecord(instanceKey: task.instanceKey, taskKey: task.taskKey, attempt: task.attempt)
        value.retries = 0
        value.errorMessage = "the task message has \(bytes) bytes, more than the \(options.maximumTaskMessageBytes) a task message may have (variables and taskResults included); reduce them, then retry the incident"
        value.workerId = "baton-engine"
        try log.append([RecordCodec.encode(.command(.failTask, key: correlationId, value: .task(value), timestamp: clock(), partition: partition))],
                       to: journal)
    }
}
