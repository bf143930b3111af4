import BatonEngine
import BatonLog
import BatonModel
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Copies every step's records to `baton.events` as JSON (topics/README.md), so a new
/// downstream consumer (a read model, an audit log, a dashboard) follows every instance
/// without touching the engine: "a new processing step is a new consumer".
///
/// It is a consumer of the journal like any other (group `baton-events-exporter`). On the
/// engine loop's thread, `export` takes the steps the partition's processor has read (or
/// reads the journal again) and names each record's process and element from the engine's
/// deployments; on a thread of its own, the records are written as JSON, appended keyed by
/// correlationId to the same partition number of `baton.events` (as many partitions as the
/// journal), and the position committed at most every `commitInterval` ms, so the engine
/// never waits for the export's encoding or appends. After a crash the records since the
/// last commit are appended again: `journalPartition`, `journalPosition` and `index`
/// identify a record, and rise within a partition, so a consumer skips what it has seen.
public final class EventExporter: Sendable {
    public static let group = "baton-events-exporter"
    let log: any Log
    /// Journal entries read per call.
    let batchEntries: Int
    /// Per journal partition, the process of each instance whose records are being
    /// exported (from its `instanceCreated`, or from the engine's state after a restart), so
    /// that element ids can be named after the instance is gone from the state.
    private let processes = Mutex<[Int32: [Int64: ProcessVersion]]>([:])
    /// Per journal partition: the next position to export, and what is enqueued but not
    /// yet committed.
    private let cursors = Mutex<[Int32: Int64]>([:])
    private let uncommitted = Mutex<[Int32: Int64]>([:])
    /// Batches handed to the writing thread, in order, and whether a thread is writing.
    private let queue = Mutex<(batches: [Batch], writing: Bool, lastCommit: Int64, failure: String?)>(([], false, 0, nil))
    /// Most batches waiting for the writing thread; `export` does nothing while it is behind.
    static let queuedBatchesLimit = 8
    let commitInterval: Int64 = 500

    /// The records of some steps of one partition, ready to be written: the steps as the
    /// processor decoded them (not a copy of every record), and each record's process.
    struct Batch: Sendable {
        let partition: Int32
        let steps: [(position: Int64, step: Step)]
        /// One per record of `steps`, in order.
        let processes: [ProcessVersion?]
        /// Everything before this journal position is in this batch or an earlier one.
        let through: Int64
    }

    /// An instance's process, and its graph to name elements by (looked up once per
    /// instance, not per record; a class, so that each record's reference is one retain).
    final class ProcessVersion: Sendable {
        let id: String
        let version: Int32
        let graph: ExecutableProcess?

        init(id: String, version: Int32, graph: ExecutableProcess?) {
            self.id = id
            self.version = version
            self.graph = graph
        }
    }

    public init(log: any Log, batchEntries: Int = 2000) {
        self.log = log
        self.batchEntries = batchEntries
    }

    /// The events topic must have the journal's partition count, so that partition P of one
    /// is partition P of the other for every correlationId.
    public func checkPartitions() throws(LogError) {
        let journal = try log.partitionCount(of: Topics.journal)
        let events = try log.partitionCount(of: Topics.events)
        guard journal == events else {
            throw LogError("topic \(Topics.events) has \(events) partition(s) and \(Topics.journal) \(journal): they must be equal (records of journal partition P go to partition P); recreate \(Topics.events) with \(journal)")
        }
    }

    /// Enqueues the records of what the journal partition of `processor` holds beyond the
    /// exported position, up to what the engine has processed (at most `batchEntries`
    /// entries when it reads the log); returns the journal entries it covered. Element ids come from the processor's deployments.
    /// The caller flushes the log, then calls `commitFlushed`.
    @discardableResult
    public func export(_ processor: PartitionProcessor) throws(LogError) -> Int {
        if let failure = queue.withLock({ state -> String? in
            defer { state.failure = nil }
            return state.failure
        }) {
            throw LogError(failure)
        }
        guard queue.withLock({ $0.batches.count }) < Self.queuedBatchesLimit else { return 0 }
        let journal = TopicPartition(Topics.journal, processor.partition)
        let start: Int64
        if let cursor = cursors.withLock({ $0[processor.partition] }) {
            start = cursor
        } else {
            start = try log.committedPosition(group: Self.group, partition: journal) ?? 0
        }
        guard start < processor.cursor else { return 0 }  // only what the engine has processed
        // The steps the processor has just read and decoded, when it still has them all from
        // `start` on; else the journal, read again.
        var steps: [(position: Int64, step: Step)] = []
        let through: Int64
        if let read = processor.readSteps(from: start) {
            steps = read.steps
            through = read.through
        } else {
            let entries = try log.read(journal, from: start, limit: min(batchEntries, Int(processor.cursor - start)))
            guard let last = entries.last else { return 0 }
            for entry in entries {
                if let step = try? JournalEntry.step(entry, partition: processor.partition) { steps.append((entry.position, step)) }
            }
            through = last.position + 1
        }
        var known = processes.withLock { $0.removeValue(forKey: processor.partition) } ?? [:]
        func version(_ id: String, _ version: Int32) -> ProcessVersion {
            ProcessVersion(id: id, version: version, graph: processor.engine.processes.process(id: id, version: version)?.process)
        }
        var versions: [ProcessVersion?] = []
        versions.reserveCapacity(steps.reduce(0) { $0 + $1.step.records.count })
        for (_, step) in steps {
            for record in step.records {
                let instanceKey = record.value.instanceKey
                var process = known[instanceKey]
                if case .instance(let value) = record.value, record.intent == .instanceCreated {
                    process = version(value.processId, value.processVersion)
                    known[instanceKey] = process
                } else if process == nil, let instance = processor.engine.state.instances[instanceKey] {
                    process = version(instance.processId, instance.processVersion)
                    known[instanceKey] = process
                }
                versions.append(process)
                if record.recordType == .event, record.intent == .instanceCompleted || record.intent == .instanceCanceled {
                    known[instanceKey] = nil
                }
            }
        }
        processes.withLock { $0[processor.partition] = known }
        cursors.withLock { $0[processor.partition] = through }
        hand(Batch(partition: processor.partition, steps: steps, processes: versions, through: through))
        return Int(through - start)
    }

    /// Queues a batch for the writing thread, starting one if none is writing.
    private func hand(_ batch: Batch) {
        let start = queue.withLock { state -> Bool in
            state.batches.append(batch)
            guard !state.writing else { return false }
            state.writing = true
            return true
        }
        guard start else { return }
        do {
            try DedicatedThread.start { [self] in write() }
        } catch {
            queue.withLock { state in
                state.writing = false
                state.failure = "no thread to write \(Topics.events): \(error)"
            }
        }
    }

    /// The writing thread: encodes and appends queued batches in order, commits what is
    /// appended at most every `commitInterval` ms, and stops when the queue is empty. A
    /// failed append drops that partition's queued batches and sends the export back to its
    /// committed position (so nothing is skipped; some records may come twice).
    private func write() {
        while true {
            guard let batch = queue.withLock({ state -> Batch? in
                guard !state.batches.isEmpty else {
                    state.writing = false
                    return nil
                }
                return state.batches.removeFirst()
            }) else { return }
            do {
                if !batch.processes.isEmpty {
                    var messages: [[UInt8]] = []
                    var keys: [String] = []
                    messages.reserveCapacity(batch.processes.count)
                    keys.reserveCapacity(batch.processes.count)
                    var recordIndex = 0
                    for (position, step) in batch.steps {
                        for (index, record) in step.records.enumerated() {
                            let process = batch.processes[recordIndex]
                            recordIndex += 1
                            messages.append(EventJSON.record(
                                record, partition: batch.partition, position: position, index: index,
                                process: process.map { ($0.id, $0.version) }, graph: process?.graph))
                            keys.append(record.key)
                        }
                    }
                    try log.appendDerived(messages, keys: keys, to: TopicPartition(Topics.events, batch.partition))
                }
                uncommitted.withLock { $0[batch.partition] = batch.through }
                let now = MonotonicClock.milliseconds()
                if now - queue.withLock({ $0.lastCommit }) >= commitInterval {
                    queue.withLock { $0.lastCommit = now }
                    try commitAppended()
                }
            } catch {
                queue.withLock { state in
                    state.batches.removeAll { $0.partition == batch.partition }
                    state.failure = "appending to \(Topics.events)-\(batch.partition): \(error)"
                }
                cursors.withLock { $0[batch.partition] = nil }
                processes.withLock { $0[batch.partition] = nil }
            }
        }
    }

    /// Commits the positions whose records are appended, once those records are durable.
    func commitAppended() throws(LogError) {
        let positions = uncommitted.withLock { pending in
            defer { pending = [:] }
            return pending
        }
        for (partition, position) in positions.sorted(by: { $0.key < $1.key }) {
            try log.sync(TopicPartition(Topics.events, partition))
            try log.commit(group: Self.group, partition: TopicPartition(Topics.journal, partition), position: position)
        }
    }

    /// Waits until every handed batch is appended, then commits (before a loop stops or
    /// gives a partition up).
    public func finish() throws(LogError) {
        while queue.withLock({ $0.writing || !$0.batches.isEmpty }) { usleep(1000) }
        try commitAppended()
        if let failure = queue.withLock({ $0.failure }) { throw LogError(failure) }
    }

    /// Forgets a partition's position (given up: its next holder reads the committed one).
    public func forget(_ partition: Int32) {
        cursors.withLock { $0[partition] = nil }
        uncommitted.withLock { $0[partition] = nil }
        processes.withLock { $0[partition] = nil }
    }
}

/// A record as the events topic carries it, written straight to bytes (fixed field order,
/// no intermediate dictionaries: the export runs for every record the engine writes).
public enum EventJSON {
    public static func record(
        _ record: Record, partition: Int32, position: Int64, index: Int, process: (id: String, version: Int32)?, graph: ExecutableProcess?
    ) -> [UInt8] {
        var json = JSONObjectWriter(capacity: 320)
        json.number("journalPartition", Int64(partition))
        json.number("journalPosition", position)
        json.number("index", Int64(index))
        json.string("recordType", recordTypeNames[Int(record.recordType.rawValue)])
        json.string("intent", intentNames[Int(record.intent.rawValue)])
        json.string("valueType", valueTypeNames[Int(record.intent.valueType.rawValue)])
        json.string("correlationId", record.key)
        json.number("timestamp", record.timestamp)
        if record.sourcePosition >= 0 { json.number("sourcePosition", record.sourcePosition) }
        json.key("instanceKey", record.value.instanceKey)
        if record.recordType == .rejection { json.string("rejectionReason", record.rejectionReason) }
        if let process {
            json.string("processId", process.id)
            json.number("processVersion", Int64(process.version))
        }
        if let graph {
            if let element = elementIndex(record.value), element >= 0, Int(element) < graph.elements.count {
                json.string("elementId", graph[element: element].id)
            }
            if case .element(let value) = record.value, value.flowIndex >= 0, Int(value.flowIndex) < graph.flows.count {
                json.string("flowId", graph[flow: value.flowIndex].id)
            }
        }
        json.openObject("value")
        value(record.value, into: &json)
        json.closeObject()
        return json.finish()
    }

    /// Names by raw value, computed once (describing an enum case at run time is slow).
    static let intentNames: [String] = {
        var names = [String](repeating: "", count: Int(Intent.allCases.map(\.rawValue).max()!) + 1)
        for intent in Intent.allCases { names[Int(intent.rawValue)] = "\(intent)" }
        return names
    }()
    static let recordTypeNames: [String] = ["", "\(RecordType.command)", "\(RecordType.event)", "\(RecordType.rejection)"]
    static let valueTypeNames: [String] = [""] + (1...9).map { ValueType(rawValue: $0).map { "\($0)" } ?? "" }

    static func elementIndex(_ value: RecordValue) -> Int32? {
        switch value {
        case .element(let element): element.elementIndex
        case .task(let task): task.elementIndex
        case .incident(let incident): incident.elementIndex
        case .timer(let timer): timer.elementIndex
        case .message(let message): message.elementIndex
        case .subscription(let subscription): subscription.elementIndex
        default: nil
        }
    }

    /// The members of a record's value, into the object `json` has open.
    static func value(_ value: RecordValue, into json: inout JSONObjectWriter) {
        switch value {
        case .instance(let instance):
            json.key("instanceKey", instance.instanceKey)
            json.string("processId", instance.processId)
            json.number("processVersion", Int64(instance.processVersion))
            json.string("businessKey", instance.businessKey)
            json.value("variables", .object(instance.variables))
        case .element(let element):
            json.key("elementInstanceKey", element.elementInstanceKey)
            json.number("elementIndex", Int64(element.elementIndex))
            json.key("flowScopeKey", element.flowScopeKey)
            if element.flowIndex >= 0 { json.number("flowIndex", Int64(element.flowIndex)) }
        case .task(let task):
            json.key("taskKey", task.taskKey)
            json.key("elementInstanceKey", task.elementInstanceKey)
            json.number("elementIndex", Int64(task.elementIndex))
            json.string("topic", task.topic)
            json.number("attempt", Int64(task.attempt))
            json.number("retries", Int64(task.retries))
            // What a task record does not use is left out (most are empty on most intents).
            if task.lockExpiresAt != 0 { json.number("lockExpiresAt", task.lockExpiresAt) }
            if task.retryAt != 0 { json.number("retryAt", task.retryAt) }
            if !task.errorCode.isEmpty { json.string("errorCode", task.errorCode) }
            if !task.errorMessage.isEmpty { json.string("errorMessage", task.errorMessage) }
            if task.data != .null { json.value("data", task.data) }
            if !task.variables.isEmpty { json.value("variables", .object(task.variables)) }
            if !task.workerId.isEmpty { json.string("workerId", task.workerId) }
        case .incident(let incident):
            json.key("incidentKey", incident.incidentKey)
            json.key("elementInstanceKey", incident.elementInstanceKey)
            json.number("elementIndex", Int64(incident.elementIndex))
            json.key("taskKey", incident.taskKey)
            json.string("kind", "\(incident.kind)")
            json.string("message", incident.message)
            json.number("retries", Int64(incident.retries))
        case .timer(let timer):
            json.key("timerKey", timer.timerKey)
            json.key("elementInstanceKey", timer.elementInstanceKey)
            json.number("elementIndex", Int64(timer.elementIndex))
            json.number("dueAt", timer.dueAt)
        case .variables(let variables):
            json.value("variables", .object(variables.variables))
            if variables.scopeKey != 0 { json.key("scopeKey", variables.scopeKey) }
        case .entry(let entry):
            json.string("reason", entry.reason)
            json.number("size", entry.size)
        case .message(let message):
            if message.messageKey != 0 { json.key("messageKey", message.messageKey) }
            if !message.name.isEmpty { json.string("name", message.name) }
            if !message.messageId.isEmpty { json.string("messageId", message.messageId) }
            if message.timeToLive != 0 { json.number("timeToLive", message.timeToLive) }
            if message.expiresAt != 0 { json.number("expiresAt", message.expiresAt) }
            if message.elementInstanceKey != 0 { json.key("elementInstanceKey", message.elementInstanceKey) }
            if message.elementIndex >= 0 { json.number("elementIndex", Int64(message.elementIndex)) }
            if !message.startProcessId.isEmpty { json.string("startProcessId", message.startProcessId) }
            if !message.sourceTopic.isEmpty {
                json.string("sourceTopic", message.sourceTopic)
                json.number("sourcePartition", Int64(message.sourcePartition))
                json.number("sourceOffset", message.sourceOffset)
            }
            if !message.variables.isEmpty { json.value("variables", .object(message.variables)) }
        case .subscription(let subscription):
            json.key("subscriptionKey", subscription.subscriptionKey)
            json.key("elementInstanceKey", subscription.elementInstanceKey)
            json.number("elementIndex", Int64(subscription.elementIndex))
            json.string("messageName", subscription.messageName)
            json.string("correlationKey", subscription.correlationKey)
        }
    }
}

