import BatonEngine
import BatonLog
import BatonModel
import BatonStorage

/// Where a partition's snapshots are kept: files beside the embedded log, or a topic.
public protocol SnapshotStorage: Sendable {
    /// Writes a snapshot covering the journal prefix `[0, cursor)`; `processes` names the
    /// definitions (and their graph checksums) its instances run.
    func write(_ state: EngineState, cursor: Int64, processes: ProcessRegistry) throws
    /// The newest snapshot that verifies, with its cursor; nil if there is none. Unusable
    /// ones are reported through `warn` and skipped (an older one is tried).
    func loadNewest(processes: ProcessRegistry, warn: (String) -> Void) -> (state: EngineState, cursor: Int64)?
}

/// The bytes of one snapshot: `"BSNP" u32 crc32c-of-rest u64 cursor u32 rawLength
/// lz4(state)`, the same in a file and in a topic.
public enum SnapshotFormat {
    static let magic: [UInt8] = Array("BSNP".utf8)

    public static func encode(_ state: EngineState, cursor: Int64, processes: ProcessRegistry) -> [UInt8] {
        let raw = state.snapshotBytes(processes: processes)
        var body: [UInt8] = []
        body.append(contentsOf: withUnsafeBytes(of: UInt64(bitPattern: cursor).littleEndian, Array.init))
        body.append(contentsOf: withUnsafeBytes(of: UInt32(raw.count).littleEndian, Array.init))
        body.append(contentsOf: LZ4Block.compress(raw))
        return magic + withUnsafeBytes(of: CRC32C.checksum(body).littleEndian, Array.init) + body
    }

    public static func decode(_ bytes: [UInt8], processes: ProcessRegistry) throws -> (state: EngineState, cursor: Int64) {
        guard bytes.count >= 20, Array(bytes.prefix(4)) == magic else { throw LogError("not a Baton snapshot") }
        let body = Array(bytes[8...])
        let crc = bytes[4..<8].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
        guard CRC32C.checksum(body) == crc else { throw LogError("CRC mismatch") }
        let cursor = body[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        let rawLength = body[8..<12].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard let raw = LZ4Block.decompress(body[12...], rawLength: rawLength) else { throw LogError("does not decompress") }
        return (try EngineState.fromSnapshot(raw, processes: processes), Int64(bitPattern: cursor))
    }
}

/// Snapshots of one partition as files `<cursor>.snapshot`, written atomically. The newest
/// two are kept; loading falls back to the older one when the newest is corrupt.
public struct SnapshotStore: SnapshotStorage {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public func write(_ state: EngineState, cursor: Int64, processes: ProcessRegistry) throws {
        try POSIX.makeDirectories(directory)
        try POSIX.writeAtomically(SnapshotFormat.encode(state, cursor: cursor, processes: processes), to: "\(directory)/\(Self.name(cursor))", directory: directory)
        for old in snapshotFiles().dropLast(2) { POSIX.remove("\(directory)/\(old)") }
    }

    public func loadNewest(processes: ProcessRegistry, warn: (String) -> Void) -> (state: EngineState, cursor: Int64)? {
        for name in snapshotFiles().reversed() {
            let path = "\(directory)/\(name)"
            do {
                return try SnapshotFormat.decode(try POSIX.readFile(path), processes: processes)
            } catch {
                warn("snapshot \(path) is unusable (\(error)); trying an older one")
            }
        }
        return nil
    }

    func snapshotFiles() -> [String] {
        POSIX.list(directory).filter { $0.hasSuffix(".snapshot") }.sorted()
    }

    static func name(_ cursor: Int64) -> String {
        let digits = String(cursor)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".snapshot"
    }
}

/// Snapshots of journal partition P as entries of partition P of the compacted
/// `baton.snapshots` topic, keyed `journal-P` (the Kafka home of snapshots; any `Log`
/// works). Loading reads the partition and takes the newest entry that verifies (older
/// ones remain until compaction removes them). A snapshot larger than `maximumBytes` is not
/// written (it would not fit one Kafka message); recovery then replays more journal.
public struct LogSnapshotStore: SnapshotStorage {
    public let log: any Log
    public let partition: Int32
    public let maximumBytes: Int

    public init(log: any Log, partition: Int32, maximumBytes: Int = 900_000) {
        self.log = log
        self.partition = partition
        self.maximumBytes = maximumBytes
    }

    var topicPartition: TopicPartition { TopicPartition(Topics.snapshots, partition) }

    public func write(_ state: EngineState, cursor: Int64, processes: ProcessRegistry) throws {
        let bytes = SnapshotFormat.encode(state, cursor: cursor, processes: processes)
        guard bytes.count <= maximumBytes else {
            throw LogError("snapshot of journal partition \(partition) is \(bytes.count) bytes, over the \(maximumBytes) a message may hold; not written")
        }
        // Keyed by the journal partition, so a compacted topic keeps the newest per partition.
        try log.append([bytes], keys: ["journal-\(partition)"], to: topicPartition)
    }

    public func loadNewest(processes: ProcessRegistry, warn: (String) -> Void) -> (state: EngineState, cursor: Int64)? {
        var entries: [LogEntry] = []
        do {
            while true {
                let batch = try log.read(topicPartition, from: entries.last.map { $0.position + 1 } ?? 0, limit: 100)
                if batch.isEmpty { break }
                entries.append(contentsOf: batch)
            }
        } catch {
            warn("snapshots of journal partition \(partition) cannot be read (\(error)); replaying the journal")
            return nil
        }
        for entry in entries.reversed() {
            do {
                return try SnapshotFormat.decode(entry.payload, processes: processes)
            } catch {
                warn("snapshot at \(topicPartition) position \(entry.position) is unusable (\(error)); trying an older one")
            }
        }
        return nil
    }
}
