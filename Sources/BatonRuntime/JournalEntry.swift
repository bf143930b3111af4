import BatonLog
import BatonModel

/// What a journal entry holds: a command appended by a producer, a step the engine appended
/// (all records from processing a batch of commands), or an entry the engine cannot take
/// as a command. Told apart by the first byte (a step starts with 'S', a JSON task answer
/// with '{', a binary record with its format version).
public enum JournalEntry: Sendable {
    case command(Record)
    case step(Step)
    /// A poison pill: an entry that does not decode, is too large, or sits on a partition its
    /// key does not map to. Carries the `refuseEntry` command that stands in for it at its
    /// position (the engine rejects it with the reason) and the entry's bytes for the dead
    /// letter.
    case refused(Record, payload: [UInt8])

    /// How to tell poison pills from commands.
    public struct Checks: Sendable {
        /// Larger entries are refused before they are decoded.
        public var maximumCommandBytes: Int
        /// The journal's partition count, to check that a command's key maps to the
        /// partition it is on (murmur2, as everywhere; nil: not checked).
        public var journalPartitions: Int32?

        public init(maximumCommandBytes: Int = .max, journalPartitions: Int32? = nil) {
            self.maximumCommandBytes = maximumCommandBytes
            self.journalPartitions = journalPartitions
        }
    }

    /// Decodes an entry read from `partition`. A command's position is the entry's log
    /// position: producers cannot know it when they append.
    ///
    /// Nothing a producer writes makes this throw: a bad command comes back as `.refused`.
    /// Only a step that cannot be read throws (`UnreadableStep`): the engine wrote it, so it
    /// is either a newer Baton's (stop this partition until this replica is upgraded) or
    /// corruption.
    public static func decode(_ entry: LogEntry, partition: Int32, checks: Checks = Checks()) throws(UnreadableStep) -> JournalEntry {
        func refuse(_ reason: String, key: String = "") -> JournalEntry {
            .refused(standIn(for: entry, partition: partition, key: key, reason: reason), payload: entry.payload)
        }
        guard let first = entry.payload.first else { return refuse("empty journal entry") }
        if first == RecordCodec.stepMagic {
            do {
                return .step(try RecordCodec.decodeStep(entry.payload))
            } catch {
                throw UnreadableStep(partition: partition, position: entry.position, error: error)
            }
        }
        guard entry.payload.count <= checks.maximumCommandBytes else {
            return refuse("the entry has \(entry.payload.count) bytes, more than the \(checks.maximumCommandBytes) a command may have")
        }
        var record: Record
        if TaskAnswer.looksLikeJSON(entry.payload) {
            do {
                record = try TaskAnswer.command(fromJSON: entry.payload)
            } catch {
                return refuse("the entry is not a JSON task answer (topics/schemas/): \(error)")
            }
        } else {
            do {
                record = try RecordCodec.decodeRecord(entry.payload)
            } catch {
                return refuse("the entry is not a command this Baton reads: \(error)")
            }
        }
        guard record.recordType == .command else {
            return refuse("the entry is a lone \(record.recordType) record, not a command", key: record.key)
        }
        guard record.intent != .refuseEntry else {
            return refuse("refuseEntry is the engine's own stand-in and cannot be appended", key: record.key)
        }
        // A delivered signal is keyed by the signal's name and goes to every partition.
        if let partitions = checks.journalPartitions, record.intent != .deliverSignal {
            let expected = Murmur2.partition(forKey: record.key, partitions: partitions)
            guard expected == partition else {
                return refuse("key '\(record.key)' belongs to journal partition \(expected), not \(partition)", key: record.key)
            }
        }
        record.position = entry.position
        record.partition = partition
        return .command(record)
    }
}

extension JournalEntry {
    /// The step an entry holds, or nil for any other entry (a command, or what a producer
    /// sent as one), which is left undecoded: readers that fold or export steps skip the
    /// commands, about half of the journal's entries, without decoding them.
    public static func step(_ entry: LogEntry, partition: Int32) throws(UnreadableStep) -> Step? {
        guard entry.payload.first == RecordCodec.stepMagic, case .step(let step) = try decode(entry, partition: partition) else { return nil }
        return step
    }

    /// The `refuseEntry` command that stands in for a refused entry at its position: the
    /// engine answers it with a rejection naming `reason`.
    static func standIn(for entry: LogEntry, partition: Int32, key: String, reason: String) -> Record {
        .command(.refuseEntry, key: key, value: .entry(EntryRecord(reason: reason, size: Int64(entry.payload.count))),
                 timestamp: 0, partition: partition, position: entry.position)
    }
}

/// A step this build cannot read, at a named partition and position: written by a newer
/// Baton (a record version this build does not know) or corrupted. The partition stops; the
/// others go on.
public struct UnreadableStep: Error, CustomStringConvertible {
    public let partition: Int32
    public let position: Int64
    public let error: DecodingError
    /// Set when entries from `position` up to this one are gone from the log (retention,
    /// `baton prune`) and no snapshot covers them.
    public var missingUpTo: Int64?

    /// Entries `position..<next` were removed from the log and no snapshot covers them:
    /// folding on would build a state that never was.
    static func removed(partition: Int32, from position: Int64, to next: Int64) -> UnreadableStep {
        var gap = UnreadableStep(partition: partition, position: position, error: DecodingError(message: "entries removed", offset: 0))
        gap.missingUpTo = next
        return gap
    }

    public var description: String {
        if let next = missingUpTo {
            return "journal partition \(partition) stopped at position \(position): entries \(position)..<\(next) are no longer in the log (removed by retention or 'baton prune') and no snapshot covers them; recover from a snapshot at or after position \(next), or restore the journal (the other partitions go on)"
        }
        if let version = error.unknownRecordVersion {
            return "journal partition \(partition) stopped at position \(position): the step there has record version \(version), and this Baton reads versions 1 to \(Record.currentVersion); a newer Baton wrote it, so upgrade this replica (the other partitions go on)"
        }
        return "journal partition \(partition) stopped at position \(position): the step there does not decode (\(error)); the journal is damaged (the other partitions go on)"
    }
}

/// Appends commands to the journal, on the partition their correlationId maps to. Used by
/// the CLI, workers and the runtime itself (timers, lock expiry, retries).
public struct CommandWriter: Sendable {
    public let log: any Log

    public init(log: any Log) { self.log = log }

    public func partition(of correlationId: String) throws(LogError) -> Int32 {
        try log.partition(forKey: correlationId, topic: Topics.journal)
    }

    /// Appends commands of one partition as one batch; returns the first position.
    @discardableResult
    public func append(_ commands: [Record], partition: Int32) throws(LogError) -> Int64 {
        try log.append(commands.map(RecordCodec.encode), keys: commands.map(\.key), to: TopicPartition(Topics.journal, partition))
    }

    /// Appends commands of any partitions: one batch per partition, in partition order.
    public func appendEach(_ commands: [Record]) throws(LogError) {
        var byPartition: [Int32: [Record]] = [:]
        for command in commands { byPartition[try partition(of: command.key), default: []].append(command) }
        for (partition, batch) in byPartition.sorted(by: { $0.key < $1.key }) { try append(batch, partition: partition) }
    }

    /// Appends one command on its correlationId's partition.
    @discardableResult
    public func append(_ command: Record) throws(LogError) -> (partition: Int32, position: Int64) {
        let partition = try partition(of: command.key)
        return (partition, try append([command], partition: partition))
    }
}
