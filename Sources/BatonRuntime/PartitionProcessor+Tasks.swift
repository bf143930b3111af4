import BatonEngine
import BatonLog
import BatonModel

extension PartitionProcessor {
    /// Publishes a task message for every task a step created or re-activated.
    func publishTasks(in records: [Record]) throws {
        var messages: [TopicPartition: [[UInt8]]] = [:]
        for record in records where record.intent == .taskCreated || record.intent == .taskActivated {
            guard case .task(let task) = record.value, let message = message(for: task) else { continue }
            let bytes = message.json.jsonBytes
            guard bytes.count <= options.maximumTaskMessageBytes else {
                try refuseOversizedTaskMessage(task, correlationId: message.correlationId, bytes: bytes.count)
                continue
            }
            let topic = Topics.tasks(task.topic)
            let target = TopicPartition(topic, log.partition(forKey: message.correlationId, topic: topic))
            messages[target, default: []].append(bytes)
        }
        for (target, batch) in messages.sorted(by: { $0.key.description < $1.key.description }) {
            try log.enqueue(batch, to: target)
        }
    }

    /// After recovery: every task waiting for a worker is published again. Workers may see
    /// a task twice; the engine rejects the second result.
    func publishWaitingTasks() throws {
        var records: [Record] = []
        for instance in engine.state.instances.values.sorted(by: { $0.key < $1.key }) {
            for task in instance.tasks.values.sorted(by: { $0.key < $1.key }) {
                guard case .active(let lockExpiresAt) = task.phase else { continue }
                var value = TaskRecord(instanceKey: instance.key, taskKey: task.key, attempt: task.attempt)
                value.elementInstanceKey = task.elementInstanceKey
                value.elementIndex = task.elementIndex
                value.topic = task.topic
                value.retries = task.retries
                value.priority = task.priority
                value.lockExpiresAt = lockExpiresAt
                records.append(Record(recordType: .event, intent: .taskActivated, partition: partition, position: cursor, timestamp: clock(), key: instance.correlationId, value: .task(value)))
            }
        }
        try publishTasks(in: records)
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
            variables: instance.variables.merging(task.variables) { $1 }, retries: task.retries, priority: task.priority,
            lockExpirationTime: task.lockExpiresAt, partition: partition, processTaskResults: instance.processTaskResults.json)
    }
}

/// Time-driven work the runtime asks the engine for by appending commands.
enum DueWork: Hashable {
    case timer(Int64)
    case lockExpiry(task: Int64, attempt: Int32)
    case retry(task: Int64, attempt: Int32)
}

extension PartitionProcessor {
    /// Appends `triggerTimer`, `expireTaskLock` and `retryTask` commands for what is due,
    /// stamped with the runtime's clock. Each is asked for once, and again only if it is
    /// still due after `dueWorkRetryMilliseconds`.
    func requestDueWork() throws -> Int {
        let now = clock()
        if let last = lastDueWorkScan, now >= last, now - last < options.dueWorkScanMilliseconds { return 0 }
        lastDueWorkScan = now
        var commands: [Record] = []
        var stillDue: Set<DueWork> = []
        func request(_ work: DueWork, _ intent: Intent, _ key: String, _ value: RecordValue) {
            stillDue.insert(work)
            if let last = requested[work], now - last < options.dueWorkRetryMilliseconds { return }
            requested[work] = now
            commands.append(.command(intent, key: key, value: value, timestamp: now, partition: partition))
        }
        for instance in engine.state.instances.values {
            for timer in instance.timers.values where timer.dueAt <= now {
                request(.timer(timer.key), .triggerTimer, instance.correlationId,
                        .timer(TimerRecord(instanceKey: instance.key, timerKey: timer.key)))
            }
            for task in instance.tasks.values {
                switch task.phase {
                case .active(let lockExpiresAt) where lockExpiresAt <= now:
                    request(.lockExpiry(task: task.key, attempt: task.attempt), .expireTaskLock, instance.correlationId,
                            .task(TaskRecord(instanceKey: instance.key, taskKey: task.key, attempt: task.attempt)))
                case .waitingForRetry(let retryAt) where retryAt <= now:
                    request(.retry(task: task.key, attempt: task.attempt), .retryTask, instance.correlationId,
                            .task(TaskRecord(instanceKey: instance.key, taskKey: task.key, attempt: task.attempt)))
                default:
                    continue
                }
            }
        }
        requested = requested.filter { stillDue.contains($0.key) }
        guard !commands.isEmpty else { return 0 }
        commands.sort { ($0.key, $0.intent.rawValue) < ($1.key, $1.intent.rawValue) }
        try log.append(commands.map(RecordCodec.encode), keys: commands.map(\.key), to: journal)
        return commands.count
    }

    /// Writes a snapshot when enough entries or time have passed, no command is waiting (so
    /// the snapshot covers exactly the prefix before `cursor`) and every step this processor
    /// enqueued is known durable: a snapshot never covers a step that could still be lost.
    func snapshotIfDue() throws {
        guard let snapshots, pending.isEmpty, !unflushedSteps, cursor > lastSnapshotCursor else { return }
        let now = clock()
        guard cursor - lastSnapshotCursor >= options.snapshotEveryEntries || now - lastSnapshotTime >= options.snapshotEveryMilliseconds else { return }
        // A snapshot only shortens recovery: failing to write one is reported, not fatal.
        do { try snapshots.write(engine.state, cursor: cursor) } catch { warn("snapshot of journal partition \(partition) not written: \(error)") }
        lastSnapshotCursor = cursor
        lastSnapshotTime = now
    }

    /// Writes a snapshot now if anything changed since the last one (graceful shutdown,
    /// revocation); flushes the log first if a step of this processor is not yet durable.
    public func snapshotNow() throws {
        guard let snapshots, pending.isEmpty, cursor > lastSnapshotCursor else { return }
        if unflushedSteps {
            try log.flush()
            unflushedSteps = false
        }
        do { try snapshots.write(engine.state, cursor: cursor) } catch { warn("snapshot of journal partition \(partition) not written: \(error)") }
        lastSnapshotCursor = cursor
        lastSnapshotTime = clock()
    }
}
