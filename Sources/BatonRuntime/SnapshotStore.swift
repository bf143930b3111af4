import BatonEngine
import BatonLog
import BatonModel
import BatonStorage
import Synchronization

/// Where a partition's snapshots are kept: files beside the embedded log, or a topic.
public protocol SnapshotStorage: Sendable {
    /// Writes a snapshot covering the journal prefix `[0, cursor)`; `processes` names the
    /// definitions (and their graph checksums) its instances run.
    func write(_ state: EngineState, cursor: Int64, processes: ProcessRegistry) throws
    /// The newest snapshot that verifies, with its cursor; nil if there is none. Unusable
    /// ones are reported through `warn` and skipped (an older one is tried).
    func loadNewest(processes: ProcessRegistry, warn: (String) -> Void) -> (state: EngineState, cursor: Int64)?
    /// Every snapshot kept that loads, oldest first (unusable ones reported through `warn`):
    /// what `baton replay --verify` checks and `baton prune` relies on.
    func loadAll(processes: ProcessRegistry, warn: (String) -> Void) -> [(state: EngineState, cursor: Int64)]
}

extension SnapshotStorage {
    public func loadAll(processes: ProcessRegistry, warn: (String) -> Void) -> [(state: EngineState, cursor: Int64)] {
        loadNewest(processes: processes, warn: warn).map { [$0] } ?? []
    }
}

/// A kept snapshot not read yet: where it is (for messages) and how to get its bytes.
struct SnapshotCandidate {
    let place: String
    let bytes: () throws -> [UInt8]
}

/// A store that lists its snapshots oldest first; loading is the same for every such store.
protocol SnapshotCandidates {
    func candidates(warn: (String) -> Void) -> [SnapshotCandidate]
}

extension SnapshotCandidates {
    func newestUsable(processes: ProcessRegistry, warn: (String) -> Void) -> (state: EngineState, cursor: Int64)? {
        for candidate in candidates(warn: warn).reversed() {
            do {
                return try SnapshotFormat.decode(try candidate.bytes(), processes: processes)
            } catch {
                warn("\(candidate.place) is unusable (\(error)); trying an older one")
            }
        }
        return nil
    }

    func everyUsable(processes: ProcessRegistry, warn: (String) -> Void) -> [(state: EngineState, cursor: Int64)] {
        candidates(warn: warn).compactMap { candidate in
            do {
                return try SnapshotFormat.decode(try candidate.bytes(), processes: processes)
            } catch {
                warn("\(candidate.place) is unusable (\(error)); not counted on")
                return nil
            }
        }
    }
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
        return (try SnapshotDecoding.state(from: raw, processes: processes), Int64(bitPattern: cursor))
    }
}

/// Snapshots of one partition as files `<cursor>.snapshot`, written atomically. The newest
/// two are kept; loading falls back to the older one when the newest is corrupt.
public struct SnapshotStore: SnapshotStorage, SnapshotCandidates {
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
        newestUsable(processes: processes, warn: warn)
    }

    public func loadAll(processes: ProcessRegistry, warn: (String) -> Void) -> [(state: EngineState, cursor: Int64)] {
        everyUsable(processes: processes, warn: warn)
    }

    func candidates(warn: (String) -> Void) -> [SnapshotCandidate] {
        snapshotFiles().map { name in
            let path = "\(directory)/\(name)"
            return SnapshotCandidate(place: "snapshot \(path)") { try POSIX.readFile(path) }
        }
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
/// `baton.snapshots` topic (the Kafka home of snapshots; any `Log` works). A snapshot is
/// split into chunks of at most `maximumBytes` (a Kafka message has a size limit; a
/// partition with a million waiting instances snapshots to tens of megabytes), each
/// `"BSNC" u64 cursor u32 crc32c-of-the-whole u32 index u32 count u8 set` + its part, keyed
/// `journal-P.<set>.<index>`. Consecutive snapshots alternate between two key sets (0, 1),
/// so compaction, which keeps the newest entry per key, never removes a chunk of the newest
/// complete snapshot while the next one is being written. Loading reads the partition and
/// takes the newest snapshot whose chunks are all there and verify; single-entry snapshots
/// of earlier Batons (`"BSNP"`, keyed `journal-P`) still load.
public struct LogSnapshotStore: SnapshotStorage, SnapshotCandidates {
    public let log: any Log
    public let partition: Int32
    public let maximumBytes: Int
    /// The key set of the newest snapshot this store wrote or loaded: the next write takes
    /// the other without reading the partition again (it holds every snapshot compaction
    /// has not removed yet, tens of megabytes each at scale).
    private let lastSet = LastKeySet()

    public init(log: any Log, partition: Int32, maximumBytes: Int = 900_000) {
        self.log = log
        self.partition = partition
        self.maximumBytes = max(maximumBytes, SnapshotChunk.headerBytes + 1)
    }

    var topicPartition: TopicPartition { TopicPartition(Topics.snapshots, partition) }

    public func write(_ state: EngineState, cursor: Int64, processes: ProcessRegistry) throws {
        let bytes = SnapshotFormat.encode(state, cursor: cursor, processes: processes)
        let newest = try lastSet.value.withLock { $0 } ?? assembled().last { $0.set != nil }?.set
        let set: UInt8 = newest.map { 1 - $0 } ?? 0
        let chunks = SnapshotChunk.split(bytes, cursor: cursor, set: set, partSize: maximumBytes - SnapshotChunk.headerBytes)
        try log.append(chunks, keys: chunks.indices.map { "journal-\(partition).\(set).\($0)" }, to: topicPartition)
        lastSet.value.withLock { $0 = set }
    }

    public func loadNewest(processes: ProcessRegistry, warn: (String) -> Void) -> (state: EngineState, cursor: Int64)? {
        newestUsable(processes: processes, warn: warn)
    }

    public func loadAll(processes: ProcessRegistry, warn: (String) -> Void) -> [(state: EngineState, cursor: Int64)] {
        everyUsable(processes: processes, warn: warn)
    }

    func candidates(warn: (String) -> Void) -> [SnapshotCandidate] {
        let whole: [SnapshotChunk.Assembled]
        do {
            whole = try assembled()
        } catch {
            warn("snapshots of journal partition \(partition) cannot be read (\(error)); replaying the journal")
            return []
        }
        lastSet.value.withLock { $0 = whole.last { $0.set != nil }?.set }
        return whole.map { candidate in SnapshotCandidate(place: "snapshot at \(topicPartition) position \(candidate.position)") { candidate.bytes } }
    }

    /// Every snapshot in the partition that is whole, oldest first (by where it ends).
    private func assembled() throws -> [SnapshotChunk.Assembled] {
        var entries: [LogEntry] = []
        while true {
            let batch = try log.read(topicPartition, from: entries.last.map { $0.position + 1 } ?? 0, limit: 100)
            if batch.isEmpty { break }
            entries.append(contentsOf: batch)
        }
        return SnapshotChunk.assemble(entries)
    }
}

/// Shared by the copies of a `LogSnapshotStore`.
final class LastKeySet: Sendable {
    let value = Mutex<UInt8?>(nil)
}

/// One part of a snapshot on a topic (see `LogSnapshotStore`).
enum SnapshotChunk {
    static let magic: [UInt8] = Array("BSNC".utf8)
    static let headerBytes = 4 + 8 + 4 + 4 + 4 + 1

    struct Assembled {
        /// Where its last chunk is.
        let position: Int64
        /// Its key set (0 or 1; nil for a single entry): the next one uses the other.
        let set: UInt8?
        let bytes: [UInt8]
    }

    static func split(_ snapshot: [UInt8], cursor: Int64, set: UInt8, partSize: Int) -> [[UInt8]] {
        let crc = CRC32C.checksum(snapshot)
        let count = max(1, (snapshot.count + partSize - 1) / partSize)
        return (0..<count).map { index in
            var chunk = magic
            chunk.reserveCapacity(headerBytes + partSize)
            append(UInt64(bitPattern: cursor), to: &chunk)
            append(crc, to: &chunk)
            append(UInt32(index), to: &chunk)
            append(UInt32(count), to: &chunk)
            chunk.append(set)
            chunk.append(contentsOf: snapshot[(index * partSize)..<min(snapshot.count, (index + 1) * partSize)])
            return chunk
        }
    }

    /// The snapshots whose chunks `0..<count` follow one another (a snapshot's chunks are
    /// one append), and every entry that is not a chunk as it is (a single-entry `BSNP`
    /// snapshot, or garbage that decoding then names). Incomplete chunk sets (a torn write,
    /// chunks compaction replaced) are skipped.
    static func assemble(_ entries: [LogEntry]) -> [Assembled] {
        var whole: [Assembled] = []
        var parts: [[UInt8]] = []
        var expected: (cursor: UInt64, crc: UInt32, count: UInt32)?
        for entry in entries {
            let payload = entry.payload
            guard payload.count > headerBytes, Array(payload.prefix(4)) == magic else {
                // A single-entry snapshot of an earlier Baton, or something else: decoding
                // it tells which (and names what is wrong).
                whole.append(Assembled(position: entry.position, set: nil, bytes: payload))
                expected = nil
                continue
            }
            let cursor = read(UInt64.self, payload, at: 4)
            let crc = read(UInt32.self, payload, at: 12)
            let index = read(UInt32.self, payload, at: 16)
            let count = read(UInt32.self, payload, at: 20)
            if index == 0 {
                expected = (cursor, crc, count)
                parts = []
            }
            guard let current = expected, current.cursor == cursor, current.crc == crc, current.count == count, index == parts.count else {
                expected = nil
                continue
            }
            parts.append(Array(payload[headerBytes...]))
            guard parts.count == Int(count) else { continue }
            // A damaged part is found by the snapshot's own CRC, which names it unusable.
            whole.append(Assembled(position: entry.position, set: payload[headerBytes - 1], bytes: Array(parts.joined())))
            expected = nil
        }
        return whole
    }

    private static func append<Value: FixedWidthInteger>(_ value: Value, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func read<Value: FixedWidthInteger>(_: Value.Type, _ bytes: [UInt8], at offset: Int) -> Value {
        (0..<MemoryLayout<Value>.size).reduce(Value(0)) { $0 | Value(bytes[offset + $1]) << (8 * $1) }
    }
}
