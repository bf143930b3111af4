import BatonEngine
import BatonLog
import BatonModel

/// An instance's history printed from its journal records alone: every element entered and
/// left with times, every task attempt and its outcome, incidents, timers, variables.
public struct InstanceHistory: Sendable {
    public let correlationId: String
    public let instanceKeys: [Int64]
    public let records: [Record]
    /// The journal position of the step each record is in (a record's own `position` is
    /// the engine's numbering, not where its step sits in the journal).
    public let stepPositions: [Int64]

    /// Scans a journal partition for the records of the instance(s) with this correlation
    /// id (or instance key). Commands answered with a rejection are listed too.
    public static func collect(_ id: String, log: any Log, catalog: DeploymentCatalog, upTo position: Int64 = .max) throws -> InstanceHistory {
        let numericKey = Int64(id)
        var partitions: [Int32] = try Array(0..<log.partitionCount(of: Topics.journal))
        if numericKey == nil { partitions = [try log.partition(forKey: id, topic: Topics.journal)] }
        var records: [Record] = []
        var stepPositions: [Int64] = []
        var keys: Set<Int64> = []
        var correlationId = id
        for partition in partitions {
            let journal = TopicPartition(Topics.journal, partition)
            var cursor: Int64 = 0
            while cursor < position {
                let entries = try log.read(journal, from: cursor, limit: Int(min(2000, position - cursor)))
                guard let last = entries.last else { break }
                cursor = last.position + 1
                for entry in entries {
                    guard let step = try JournalEntry.step(entry, partition: partition) else { continue }
                    for record in step.records {
                        let matches = numericKey.map { record.value.instanceKey == $0 } ?? (record.key == id)
                        guard matches else { continue }
                        if record.intent == .instanceCreated { keys.insert(record.value.instanceKey) }
                        correlationId = record.key
                        records.append(record)
                        stepPositions.append(entry.position)
                    }
                }
            }
        }
        return InstanceHistory(correlationId: correlationId, instanceKeys: keys.sorted(), records: records, stepPositions: stepPositions)
    }

    /// One line per event, with the engine's time (ms since the first record).
    public func lines(catalog: DeploymentCatalog) -> [String] {
        guard let first = records.first?.timestamp else { return ["no records for '\(correlationId)' in the journal"] }
        var processByInstance: [Int64: ExecutableProcess] = [:]
        var lines: [String] = []
        for record in records {
            let time = "+\(record.timestamp - first) ms".padding(12)
            if case .instance(let value) = record.value, record.intent == .instanceCreated {
                processByInstance[value.instanceKey] = catalog.registry.process(id: value.processId, version: value.processVersion)?.process
            }
            let process = processByInstance[record.value.instanceKey]
            func element(_ index: Int32) -> String { process.map { index >= 0 && Int(index) < $0.elements.count ? $0.elements[Int(index)].id : "#\(index)" } ?? "#\(index)" }
            let text: String
            switch (record.recordType, record.value) {
            case (.rejection, _):
                text = "rejected \(record.intent): \(record.rejectionReason)"
            case (_, .instance(let value)):
                text = record.intent == .instanceCreated
                    ? "instance \(value.instanceKey) of '\(value.processId)' v\(value.processVersion) created, variables \(JSONValue.object(value.variables).jsonText)"
                    : "instance \(value.instanceKey) \(record.intent == .instanceCanceled ? "canceled" : "completed")"
            case (_, .element(let value)):
                switch record.intent {
                case .elementActivated: text = "entered \(element(value.elementIndex))"
                case .elementCompleted: text = "left    \(element(value.elementIndex))"
                case .elementTerminated: text = "ended   \(element(value.elementIndex)) (terminated)"
                default: text = "took flow \(process.map { Int(value.flowIndex) < $0.flows.count ? $0.flows[Int(value.flowIndex)].id : "#\(value.flowIndex)" } ?? "#\(value.flowIndex)")"
                }
            case (_, .task(let value)):
                let task = "task \(element(value.elementIndex)) [\(value.topic)] attempt \(value.attempt)"
                switch record.intent {
                case .taskCreated: text = "\(task) published (retries \(value.retries))"
                case .taskActivated: text = "\(task) published again (retries \(value.retries))"
                case .taskCompleted: text = "\(task) completed, result \(value.data.jsonText)"
                case .taskFailed: text = "\(task) failed: \(value.errorMessage) (retries left \(value.retries))"
                case .taskErrorThrown: text = "\(task) threw BPMN error '\(value.errorCode)' \(value.errorMessage)"
                case .taskLockExpired: text = "\(task) lock expired"
                case .taskLockExtended: text = "\(task) lock extended"
                default: text = "\(task) canceled"
                }
            case (_, .incident(let value)):
                text = record.intent == .incidentCreated ? "incident \(value.incidentKey) on \(element(value.elementIndex)): \(value.kind) — \(value.message)" : "incident \(value.incidentKey) resolved"
            case (_, .timer(let value)):
                text = "timer of \(element(value.elementIndex)) \(record.intent == .timerCreated ? "armed, due at \(value.dueAt)" : record.intent == .timerTriggered ? "fired" : "canceled")"
            case (_, .variables(let value)):
                text = "variables set: \(JSONValue.object(value.variables).jsonText)"
            case (_, .entry(let value)):
                text = "journal entry refused: \(value.reason)"
            case (_, .message(let value)):
                switch record.intent {
                case .messagePublished: text = "message '\(value.name)' \(value.messageKey) published (time to live \(value.timeToLive) ms)"
                case .messageCorrelated: text = "message '\(value.name)' \(value.messageKey) caught by \(element(value.elementIndex))"
                case .messageExpired: text = "message '\(value.name)' \(value.messageKey) expired"
                case .signalBroadcast: text = "signal '\(value.name)' \(value.messageKey) broadcast"
                case .messageThrown: text = "\(element(value.elementIndex)) threw message '\(value.name)' \(value.messageKey) (to \(Topics.messages))"
                default: text = "event \(value.sourcePartitionName) offset \(value.sourceOffset) ingested"
                }
            case (_, .subscription(let value)):
                let waits = record.intent == .messageSubscriptionOpened ? "waits for" : "stops waiting for"
                text = value.correlationKey.isEmpty
                    ? "\(element(value.elementIndex)) \(waits) signal '\(value.messageName)'"
                    : "\(element(value.elementIndex)) \(waits) message '\(value.messageName)' (correlation key '\(value.correlationKey)')"
            }
            lines.append("\(time) \(text)")
        }
        return lines
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
