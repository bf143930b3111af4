import BatonLog
import BatonModel

/// What a journal entry holds: a command appended by a producer, or a step the engine
/// appended (all records from processing a batch of commands). Told apart by the first
/// byte (a step starts with 'S', a record with its format version).
public enum JournalEntry: Sendable {
    case command(Record)
    case step(Step)

    /// Decodes an entry read from `partition`. A command's position is the entry's log
    /// position: producers cannot know it when they append.
    public static func decode(_ entry: LogEntry, partition: Int32) throws(DecodingError) -> JournalEntry {
        guard let first = entry.payload.first else { throw DecodingError(message: "empty journal entry at position \(entry.position)", offset: 0) }
        if first == 0x53 { return .step(try RecordCodec.decodeStep(entry.payload)) }
        var record = try RecordCodec.decodeRecord(entry.payload)
        guard record.recordType == .command else {
            throw DecodingError(message: "journal entry at position \(entry.position) is a lone \(record.recordType), not a command or a step", offset: 0)
        }
        record.position = entry.position
        record.partition = partition
        return .command(record)
    }
}

/// Appends commands to the journal, on the partition their correlationId maps to. Used by
/// the CLI, workers and the runtime itself (timers, lock expiry, retries).
public struct CommandWriter: Sendable {
    public let log: any Log

    public init(log: any Log) { self.log = log }

    public func partition(of correlationId: String) -> Int32 {
        log.partition(forKey: correlationId, topic: Topics.journal)
    }

    /// Appends commands of one partition as one batch; returns the first position.
    @discardableResult
    public func append(_ commands: [Record], partition: Int32) throws(LogError) -> Int64 {
        try log.append(commands.map(RecordCodec.encode), keys: commands.map(\.key), to: TopicPartition(Topics.journal, partition))
    }

    /// Appends one command on its correlationId's partition.
    @discardableResult
    public func append(_ command: Record) throws(LogError) -> (partition: Int32, position: Int64) {
        let partition = partition(of: command.key)
        return (partition, try append([command], partition: partition))
    }
}
