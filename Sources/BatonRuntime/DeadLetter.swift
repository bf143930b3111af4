import BatonLog
import BatonModel
import BatonEngine

/// Input the engine refused, copied to `baton.dead-letter` with the reason a person can act
/// on and where it came from, so that nothing a producer sent is silently lost (the JSON form
/// is documented in topics/README.md).
public struct DeadLetter: Sendable, Hashable {
    public var reason: String
    public var sourceTopic: String
    public var sourcePartition: Int32
    public var sourcePosition: Int64
    public var key: String
    /// The entry's size in bytes, and its first bytes (all of them up to `keptBytes`).
    public var size: Int64
    public var payload: [UInt8]
    /// The engine's time when it refused the entry.
    public var time: Int64

    /// Most bytes of the original entry a dead letter carries.
    public static let keptBytes = 64 * 1024

    public init(reason: String, sourceTopic: String, sourcePartition: Int32, sourcePosition: Int64, key: String, size: Int64, payload: [UInt8], time: Int64) {
        self.reason = reason
        self.sourceTopic = sourceTopic
        self.sourcePartition = sourcePartition
        self.sourcePosition = sourcePosition
        self.key = key
        self.size = size
        self.payload = Array(payload.prefix(Self.keptBytes))
        self.time = time
    }

    public var json: JSONValue {
        .object([
            "reason": .string(reason),
            "source": .object([
                "topic": .string(sourceTopic), "partition": .number(Double(sourcePartition)), "position": .number(Double(sourcePosition)),
            ]),
            "key": .string(key),
            "size": .number(Double(size)),
            "payload": .string(Base64.encode(payload)),
            "payloadTruncated": .bool(Int64(payload.count) < size),
            "time": .number(Double(time)),
        ])
    }

    /// Reads a dead letter back (operators' tools, tests).
    public init(json: JSONValue) throws(DecodingError) {
        func field(_ name: String) throws(DecodingError) -> JSONValue {
            guard let value = json.objectValue?[name] else { throw DecodingError(message: "dead letter has no '\(name)'", offset: 0) }
            return value
        }
        let source = try field("source").objectValue ?? [:]
        guard case .string(let reason) = try field("reason"), case .string(let key) = try field("key"),
            case .string(let payload) = try field("payload"), let bytes = Base64.decode(payload),
            case .number(let size) = try field("size"), case .number(let time) = try field("time"),
            case .string(let topic)? = source["topic"], case .number(let partition)? = source["partition"],
            case .number(let position)? = source["position"]
        else { throw DecodingError(message: "dead letter fields have the wrong types", offset: 0) }
        self.init(
            reason: reason, sourceTopic: topic, sourcePartition: Int32(partition), sourcePosition: Int64(position), key: key,
            size: Int64(size), payload: bytes, time: Int64(time))
    }
}

extension PartitionProcessor {
    /// Copies to the dead-letter topic every entry of `batch` that `step` refused: poison
    /// pills (`refuseEntry`), instances that cannot start, and ingested events that cannot be
    /// applied (except redeliveries). Other rejections (a stale or repeated task result, a
    /// redelivered event) are the normal answer to duplicate delivery and stay in the
    /// journal only.
    func writeDeadLetters(for batch: [Record], answeredBy step: Step) throws {
        var letters: [[UInt8]] = []
        for command in batch where command.intent == .refuseEntry {
            guard let payload = refusedPayloads.removeValue(forKey: command.position), case .entry(let value) = command.value else { continue }
            letters.append(deadLetter(command, reason: value.reason, size: value.size, payload: payload))
        }
        for record in step.records where record.recordType == .rejection
            && (record.intent == .createInstance
                || (record.intent == .ingestEvent && !record.rejectionReason.hasPrefix(MessageProcessor.duplicateEventReason)))
        {
            guard let entry = try log.read(journal, from: record.sourcePosition, limit: 1).first, entry.position == record.sourcePosition else { continue }
            letters.append(deadLetter(record, reason: record.rejectionReason, size: Int64(entry.payload.count), payload: entry.payload))
        }
        guard !letters.isEmpty else { return }
        try log.enqueue(letters, to: TopicPartition(Topics.deadLetter, 0))
    }

    private func deadLetter(_ record: Record, reason: String, size: Int64, payload: [UInt8]) -> [UInt8] {
        let position = record.recordType == .command ? record.position : record.sourcePosition
        return DeadLetter(
            reason: reason, sourceTopic: Topics.journal, sourcePartition: partition, sourcePosition: position,
            key: record.key, size: size, payload: payload, time: lastStepTime
        ).json.jsonBytes
    }
}
