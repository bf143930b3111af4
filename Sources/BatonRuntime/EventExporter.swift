import BatonEngine
import BatonLog
import BatonModel
import Synchronization

/// Copies every step's records to `baton.events` as JSON (topics/README.md), so a new
/// downstream consumer (a read model, an audit log, a dashboard) follows every instance
/// without touching the engine: "a new processing step is a new consumer".
///
/// It is a consumer of the journal like any other (group `baton-events-exporter`): it reads
/// a partition from its committed position, appends the records of each step, keyed by
/// correlationId, to the same partition number of `baton.events` (as many partitions as the
/// journal), then commits. After a crash between the append and the commit the same records
/// are appended again: `journalPartition`, `journalPosition` and `index` identify a record,
/// and rise within a partition, so a consumer skips what it has seen.
public final class EventExporter: Sendable {
    public static let group = "baton-events-exporter"
    let log: any Log
    /// Journal entries read per call.
    let batchEntries: Int
    /// Per journal partition, the process of each instance whose records are being
    /// exported (from its `instanceCreated`, or from the engine's state after a restart), so
    /// that element ids can be named after the instance is gone from the state.
    private let processes = Mutex<[Int32: [Int64: ProcessVersion]]>([:])

    struct ProcessVersion: Sendable {
        let id: String
        let version: Int32
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

    /// Exports what the journal partition of `processor` holds beyond the committed position
    /// (at most `batchEntries` entries); returns the entries read. Element ids come from the
    /// processor's deployments.
    @discardableResult
    public func export(_ processor: PartitionProcessor) throws(LogError) -> Int {
        let journal = TopicPartition(Topics.journal, processor.partition)
        let start = try log.committedPosition(group: Self.group, partition: journal) ?? 0
        guard start < processor.cursor else { return 0 }  // only what the engine has processed
        let entries = try log.read(journal, from: start, limit: min(batchEntries, Int(processor.cursor - start)))
        guard let last = entries.last else { return 0 }
        var messages: [[UInt8]] = []
        var keys: [String] = []
        var known = processes.withLock { $0[processor.partition] } ?? [:]
        for entry in entries {
            guard case .step(let step)? = try? JournalEntry.decode(entry, partition: processor.partition) else { continue }
            for (index, record) in step.records.enumerated() {
                let instanceKey = record.value.instanceKey
                if case .instance(let value) = record.value, record.intent == .instanceCreated {
                    known[instanceKey] = ProcessVersion(id: value.processId, version: value.processVersion)
                } else if known[instanceKey] == nil, let instance = processor.engine.state.instances[instanceKey] {
                    known[instanceKey] = ProcessVersion(id: instance.processId, version: instance.processVersion)
                }
                let process = known[instanceKey]
                messages.append(EventJSON.record(
                    record, partition: processor.partition, position: entry.position, index: index, process: process.map { ($0.id, $0.version) },
                    graph: process.flatMap { processor.engine.processes.process(id: $0.id, version: $0.version)?.process }).jsonBytes)
                keys.append(record.key)
                if record.recordType == .event, record.intent == .instanceCompleted || record.intent == .instanceCanceled {
                    known[instanceKey] = nil
                }
            }
        }
        processes.withLock { $0[processor.partition] = known }
        if !messages.isEmpty {
            try log.append(messages, keys: keys, to: TopicPartition(Topics.events, processor.partition))
        }
        try log.commit(group: Self.group, partition: journal, position: last.position + 1)
        return entries.count
    }
}

/// A record as the events topic carries it.
enum EventJSON {
    static func record(
        _ record: Record, partition: Int32, position: Int64, index: Int, process: (id: String, version: Int32)?, graph: ExecutableProcess?
    ) -> JSONValue {
        var fields: [String: JSONValue] = [
            "journalPartition": .number(Double(partition)), "journalPosition": .number(Double(position)), "index": .number(Double(index)),
            "recordType": .string("\(record.recordType)"), "intent": .string("\(record.intent)"),
            "valueType": .string("\(record.intent.valueType)"), "correlationId": .string(record.key),
            "timestamp": .number(Double(record.timestamp)), "sourcePosition": .number(Double(record.sourcePosition)),
            "instanceKey": .string(String(record.value.instanceKey)), "value": value(record.value),
        ]
        if record.recordType == .rejection { fields["rejectionReason"] = .string(record.rejectionReason) }
        // Which process and element.
        if let process {
            fields["processId"] = .string(process.id)
            fields["processVersion"] = .number(Double(process.version))
        }
        if let graph {
            if let element = elementIndex(record.value), element >= 0, Int(element) < graph.elements.count {
                fields["elementId"] = .string(graph[element: element].id)
            }
            if case .element(let value) = record.value, value.flowIndex >= 0, Int(value.flowIndex) < graph.flows.count {
                fields["flowId"] = .string(graph[flow: value.flowIndex].id)
            }
        }
        return .object(fields)
    }

    static func elementIndex(_ value: RecordValue) -> Int32? {
        switch value {
        case .element(let element): element.elementIndex
        case .task(let task): task.elementIndex
        case .incident(let incident): incident.elementIndex
        case .timer(let timer): timer.elementIndex
        default: nil
        }
    }

    static func key(_ value: Int64) -> JSONValue { .string(String(value)) }
    static func number<T: BinaryInteger>(_ value: T) -> JSONValue { .number(Double(value)) }

    static func value(_ value: RecordValue) -> JSONValue {
        switch value {
        case .instance(let instance):
            return .object([
                "instanceKey": key(instance.instanceKey), "processId": .string(instance.processId),
                "processVersion": number(instance.processVersion), "businessKey": .string(instance.businessKey),
                "variables": .object(instance.variables),
            ])
        case .element(let element):
            return .object([
                "elementInstanceKey": key(element.elementInstanceKey), "elementIndex": number(element.elementIndex),
                "flowScopeKey": key(element.flowScopeKey), "flowIndex": number(element.flowIndex),
            ])
        case .task(let task):
            return .object([
                "taskKey": key(task.taskKey), "elementInstanceKey": key(task.elementInstanceKey), "elementIndex": number(task.elementIndex),
                "topic": .string(task.topic), "attempt": number(task.attempt), "retries": number(task.retries),
                "lockExpiresAt": number(task.lockExpiresAt), "retryAt": number(task.retryAt), "errorCode": .string(task.errorCode),
                "errorMessage": .string(task.errorMessage), "data": task.data, "variables": .object(task.variables),
                "workerId": .string(task.workerId),
            ])
        case .incident(let incident):
            return .object([
                "incidentKey": key(incident.incidentKey), "elementInstanceKey": key(incident.elementInstanceKey),
                "elementIndex": number(incident.elementIndex), "taskKey": key(incident.taskKey), "kind": .string("\(incident.kind)"),
                "message": .string(incident.message), "retries": number(incident.retries),
            ])
        case .timer(let timer):
            return .object([
                "timerKey": key(timer.timerKey), "elementInstanceKey": key(timer.elementInstanceKey),
                "elementIndex": number(timer.elementIndex), "dueAt": number(timer.dueAt),
            ])
        case .variables(let variables):
            return .object(["variables": .object(variables.variables)])
        case .entry(let entry):
            return .object(["reason": .string(entry.reason), "size": number(entry.size)])
        }
    }
}
