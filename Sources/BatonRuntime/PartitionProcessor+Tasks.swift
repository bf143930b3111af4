import BatonEngine
import BatonLog
import BatonModel

extension PartitionProcessor {
    /// Publishes a task message for every task a step created or re-activated.
    func publishTasks(in records: [Record]) throws {
        var messages: [TopicPartition: (values: [[UInt8]], keys: [String])] = [:]
        for record in records where record.intent == .taskCreated || record.intent == .taskActivated {
            guard case .task(let task) = record.value, let message = message(for: task) else { continue }
            let bytes = message.jsonBytes()
            guard bytes.count <= options.maximumTaskMessageBytes else {
                try refuseOversizedTaskMessage(task, correlationId: message.correlationId, bytes: bytes.count)
                continue
            }
            let topic = Topics.tasks(task.topic)
            let target = TopicPartition(topic, try log.partition(forKey: message.correlationId, topic: topic))
            messages[target, default: ([], [])].values.append(bytes)
            messages[target, default: ([], [])].keys.append(message.correlationId)
        }
        for (target, batch) in messages.sorted(by: { $0.key.description < $1.key.description }) {
            try log.enqueue(batch.values, keys: batch.keys, to: target)
            taskPartitionsToSync.insert(target)
        }
    }

    /// After recovery: the tasks activated by the steps replayed after the snapshot that are
    /// still waiting for a worker are published again (their writer may have crashed before
    /// publishing them). Steps a snapshot covers need nothing: a snapshot is written only
    /// once the task messages of the steps before it are durable. A task of a step another
    /// writer made and never published that a snapshot then covered (a zombie's) comes back
    /// when its lock runs out. Workers may see a task twice; the engine rejects the second
    /// result. Recovery of a partition with a million waiting tasks so publishes the tail's
    /// few, not a million.
    func publishWaitingTasks() throws {
        var records: [Record] = []
        var published: Set<Int64> = []
        for (instanceKey, taskKey) in replayedActivations where published.insert(taskKey).inserted {
            guard let instance = engine.state.instances[instanceKey], let task = instance.tasks[taskKey],
                case .active(let lockExpiresAt) = task.phase
            else { continue }
            var value = TaskRecord(instanceKey: instance.key, taskKey: task.key, attempt: task.attempt)
            value.elementInstanceKey = task.elementInstanceKey
            value.elementIndex = task.elementIndex
            value.topic = task.topic
            value.retries = task.retries
            value.priority = task.priority
            value.lockExpiresAt = lockExpiresAt
            records.append(Record(recordType: .event, intent: .taskActivated, partition: partition, position: cursor, timestamp: clock(), key: instance.correlationId, value: .task(value)))
        }
        replayedActivations = []
        try publishTasks(in: records)
        // No snapshot before these messages are durable (see above).
        if !records.isEmpty { unflushedSteps = true }
    }

    func message(for task: TaskRecord) -> TaskMessage? {
        guard let instance = engine.state.instances[task.instanceKey],
            let deployed = engine.processes.process(id: instance.processId, version: instance.processVersion)
        else { return nil }
        return TaskMessage(
            taskKey: task.taskKey, attempt: task.attempt, topicName: task.topic,
            activityId: deployed.process[element: task.elementIndex].id, activityInstanceId: String(task.elementInstanceKey),
            processInstanceId: String(instance.key), processDefinitionKey: "\(instance.processId):\(instance.processVersion)",
            processDefinitionId: instance.processId, businessKey: instance.businessKey, correlationId: instance.correlationId,
            variables: instance.variables(inScopeOf: task.elementInstanceKey).merging(task.variables) { $1 }, retries: task.retries, priority: task.priority,
            lockExpirationTime: task.lockExpiresAt, partition: partition, processTaskResults: instance.processTaskResults.json)
    }
}

extension PartitionProcessor {
    /// Appends `triggerTimer`, `expireTaskLock`, `retryTask` and `expireMessage` commands for what is due,
    /// stamped with the runtime's clock. What is due comes from the engine's due-work index
    /// (cost proportional to what is due, not to the active instances). Each is asked for
    /// once, and again only if it is still due after `dueWorkRetryMilliseconds`.
    func requestDueWork() throws -> Int {
        let now = clock()
        if let last = lastDueWorkScan, now >= last, now - last < options.dueWorkScanMilliseconds { return 0 }
        lastDueWorkScan = now
        let due = engine.state.dueWork.due(at: now)
        guard !due.isEmpty || !requested.isEmpty else { return 0 }
        var commands: [Record] = []
        for work in due {
            if let last = requested[work], now - last < options.dueWorkRetryMilliseconds { continue }
            let owner: String?
            if case .messageExpiry(let messageKey, _) = work {
                owner = engine.state.messages.messages[messageKey]?.correlationKey
            } else if case .timer(0, let timerKey, _) = work {
                owner = engine.state.startTimers[timerKey]?.processId
            } else {
                owner = engine.state.instances[work.instanceKey]?.correlationId
            }
            guard let correlationId = owner else { continue }
            requested[work] = now
            let command: (Intent, RecordValue)
            switch work {
            case .timer(let instanceKey, let timerKey, _):
                command = (.triggerTimer, .timer(TimerRecord(instanceKey: instanceKey, timerKey: timerKey)))
            case .lockExpiry(let instanceKey, let taskKey, let attempt, _):
                command = (.expireTaskLock, .task(TaskRecord(instanceKey: instanceKey, taskKey: taskKey, attempt: attempt)))
            case .retry(let instanceKey, let taskKey, let attempt, _):
                command = (.retryTask, .task(TaskRecord(instanceKey: instanceKey, taskKey: taskKey, attempt: attempt)))
            case .messageExpiry(let messageKey, _):
                var message = MessageRecord()
                message.messageKey = messageKey
                command = (.expireMessage, .message(message))
            }
            commands.append(.command(command.0, key: correlationId, value: command.1, timestamp: now, partition: partition))
        }
        let stillDue = Set(due)
        requested = requested.filter { stillDue.contains($0.key) }
        guard !commands.isEmpty else { return 0 }
        try log.append(commands.map(RecordCodec.encode), keys: commands.map(\.key), to: journal)
        return commands.count
    }

    /// Writes a snapshot when enough entries or time have passed, no command is waiting (so
    /// the snapshot covers exactly the prefix before `cursor`) and every step this processor
    /// enqueued is known durable: a snapshot never covers a step that could still be lost.
    func snapshotIfDue() throws {
        guard let snapshots, !hasPending, !unflushedSteps, outbox.isEmpty, cursor > lastSnapshotCursor else { return }
        let now = clock()
        guard cursor - lastSnapshotCursor >= options.snapshotEveryEntries || now - lastSnapshotTime >= options.snapshotEveryMilliseconds else { return }
        writeSnapshot(to: snapshots)
        lastSnapshotCursor = cursor
        lastSnapshotTime = now
    }

    /// Writes the snapshot once the task messages published since the last one are
    /// durable (the file log leaves task topics unsynced at `flush`): recovery publishes
    /// only the tasks of the tail after it (see `publishWaitingTasks`). A snapshot only
    /// shortens recovery: failing to write one is reported, not fatal.
    private func writeSnapshot(to snapshots: any SnapshotStorage) {
        do {
            for target in taskPartitionsToSync.sorted(by: { $0.description < $1.description }) { try log.sync(target) }
            taskPartitionsToSync = []
            try snapshots.write(engine.state, cursor: cursor, processes: engine.processes)
        } catch {
            warn("snapshot of journal partition \(partition) not written: \(error)")
        }
    }

    /// Writes a snapshot now if anything changed since the last one (graceful shutdown,
    /// revocation); flushes the log first if a step of this processor is not yet durable.
    public func snapshotNow() throws {
        guard let snapshots, !hasPending, cursor > lastSnapshotCursor else { return }
        if unflushedSteps {
            try log.flush()
            unflushedSteps = false
        }
        try deliverOutbox()
        writeSnapshot(to: snapshots)
        lastSnapshotCursor = cursor
        lastSnapshotTime = clock()
    }
}
