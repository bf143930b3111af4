import BatonLog
import BatonStorage
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The embedded durable log (the default backend): one folder per topic partition under
/// `directory`, segment files of lz4-compressed, CRC32C-checked batches, group-commit fsync
/// (an append returns only after its batch is on disk), torn tails cut on open, consumer
/// positions written atomically.
///
/// `enqueue` writes at once and leaves the fsync to `flush()`, so an engine round costs one
/// fsync per journal partition. Topics named in `deferredSync` (task topics and
/// `baton.events`: both are made again from the journal after a crash) are not fsynced by
/// `flush()`: a consumer's `commit` in such a topic, and `sync(_:)`, fsync it first, so a
/// committed position never points past what a power cut could take back.
///
/// Several processes may use the same directory at once: appends are serialized with
/// `flock` per partition, and every reader picks up what others appended.
public final class FileLog: LocalReads {
    public let directory: String
    private let defaultPartitions: Int32
    private let configuredTopics: [String: Int32]
    /// Partition counts of new topics whose names start with a key (`baton.task.`).
    private let partitionsByPrefix: [String: Int32]
    private let segmentBytes: Int
    private let repair: Bool
    /// Read on every append and read, by every thread: a reader-writer lock (`ReadMostly`).
    private let partitions = ReadMostly<[TopicPartition: PartitionHandle]>([:])
    /// Serializes the creation of `partitions` files within this process.
    private let creating = Mutex(())
    private let committing = Mutex(())
    private let topicCounts = ReadMostly<[String: Int32]>([:])
    private let appendCount = Atomic<Int>(0)
    private let entryCount = Atomic<Int>(0)
    private let byteCount = Atomic<Int>(0)
    private let appendWaiters = AppendWaiters()
    /// Topics whose every partition `AppendWatch` watches (false: some could not be).
    private let watchedTopics = ReadMostly<[String: Bool]>([:])
    /// Name prefixes of topics whose enqueued appends `flush()` leaves to `commit`/`sync`.
    private let deferredSync: [String]
    /// Partitions `enqueue` wrote to since the last `flush()` (deferred topics excluded).
    private let unsynced = Mutex<[TopicPartition: PartitionHandle]>([:])

    /// What this process appended so far (for benchmarks and metrics).
    public struct Statistics: Sendable {
        public var appends = 0
        public var entries = 0
        public var bytes = 0

        public init() {}
    }

    public var statistics: Statistics {
        var statistics = Statistics()
        statistics.appends = appendCount.load(ordering: .relaxed)
        statistics.entries = entryCount.load(ordering: .relaxed)
        statistics.bytes = byteCount.load(ordering: .relaxed)
        return statistics
    }

    /// Opens (creating if needed) a log in `directory`.
    ///
    /// - Parameters:
    ///   - topics: partition counts of topics created by this process; a topic that exists
    ///     on disk keeps the count it was created with.
    ///   - repair: cut the log at a corrupt batch instead of refusing to open it.
    ///   - deferredSync: prefixes of topics whose enqueued appends are fsynced only when a
    ///     consumer commits a position in them or `sync(_:)` asks (see the type's note).
    public init(
        directory: String, defaultPartitions: Int32 = 1, topics: [String: Int32] = [:], partitionsByPrefix: [String: Int32] = [:], segmentBytes: Int = 64 << 20,
        repair: Bool = false, deferredSync: [String] = []
    ) throws(LogError) {
        self.deferredSync = deferredSync
        self.directory = directory
        self.defaultPartitions = defaultPartitions
        self.configuredTopics = topics
        self.partitionsByPrefix = partitionsByPrefix
        self.segmentBytes = segmentBytes
        self.repair = repair
        try POSIX.makeDirectories(directory)
    }

    /// The count stored in the topic's `partitions` file; for a new topic, the configured
    /// count, written there first (by whichever thread or process gets there first: the
    /// file's count holds for everyone). A file that exists and cannot be read is an error.
    public func partitionCount(of topic: String) throws(LogError) -> Int32 {
        if let known = topicCounts.read({ $0[topic] }) { return known }
        let path = directory + "/" + topic + "/partitions"
        if access(path, F_OK) != 0 {
            let wanted = configuredTopics[topic] ?? partitionsByPrefix.first { topic.hasPrefix($0.key) }?.value ?? defaultPartitions
            try POSIX.makeDirectories(directory + "/" + topic)
            do {
                try creating.withLock { _ throws(LogError) in
                    guard access(path, F_OK) != 0 else { return }
                    try POSIX.writeAtomically(Array("\(wanted)\n".utf8), to: path, directory: directory + "/" + topic)
                }
            } catch {
                // Another process created it at the same moment; its file is read below.
                guard access(path, F_OK) == 0 else { throw error }
            }
        }
        let descriptor = try POSIX.open(path, O_RDONLY)
        defer { close(descriptor) }
        let bytes = try POSIX.readFully(descriptor, count: try POSIX.size(descriptor, path), at: 0, path)
        guard let count = Int32(String(decoding: bytes, as: UTF8.self).trimmingNewline()), count > 0 else {
            throw LogError("\(path) does not hold a partition count (\(bytes.count) bytes): restore it, or the log cannot say where a key belongs")
        }
        topicCounts.write { $0[topic] = count }
        return count
    }

    func handle(_ partition: TopicPartition) throws(LogError) -> PartitionHandle {
        guard !partition.topic.isEmpty, !partition.topic.contains("/"), !partition.topic.hasPrefix(".") else {
            throw LogError("'\(partition.topic)' is not a valid topic name")
        }
        let count = try partitionCount(of: partition.topic)
        guard partition.partition >= 0, partition.partition < count else {
            throw LogError("\(partition) does not exist: topic '\(partition.topic)' has \(count) partition(s)")
        }
        if let existing = partitions.read({ $0[partition] }) { return existing }
        let created = try PartitionHandle(
            directory: "\(directory)/\(partition.topic)/\(partition.partition)", segmentBytes: segmentBytes, repair: repair,
            heardOthersAppend: { [appendWaiters] in appendWaiters.appended(to: partition.topic) })
        return partitions.write { handles in
            if let raced = handles[partition] { return raced }
            handles[partition] = created
            return created
        }
    }

    @discardableResult
    public func append(_ entries: [[UInt8]], to partition: TopicPartition) throws(LogError) -> Int64 {
        let position = try handle(partition).append(entries)
        count(entries)
        appendWaiters.appended(to: partition.topic)
        return position
    }

    /// Writes now; the fsync waits for `flush()` (or, for a deferred topic, for a commit in
    /// it or `sync(_:)`).
    public func enqueue(_ entries: [[UInt8]], to partition: TopicPartition) throws(LogError) {
        let handle = try handle(partition)
        _ = try handle.write(entries)
        count(entries)
        appendWaiters.appended(to: partition.topic)
        guard !isDeferred(partition.topic) else { return }
        unsynced.withLock { $0[partition] = handle }
    }

    /// Makes every append this process enqueued durable, deferred topics aside.
    public func flush() throws(LogError) {
        let due = unsynced.withLock { pending in
            defer { pending = [:] }
            return pending.sorted { $0.key.description < $1.key.description }.map(\.value)
        }
        for handle in due { try handle.syncWrites() }
    }

    /// Writes now; durable once `sync(_:)` (or a commit in a deferred topic) returns.
    public func appendDerived(_ entries: [[UInt8]], keys: [String], to partition: TopicPartition) throws(LogError) {
        _ = try handle(partition).write(entries)
        count(entries)
        appendWaiters.appended(to: partition.topic)
    }

    /// The appends to `topic` heard of so far; from the first call on, other processes'
    /// appends to the topic are heard of too (its partitions' folders watched).
    public func appendMark(of topic: String) -> UInt64 {
        watchOthersAppends(to: topic)
        return appendWaiters.mark(of: topic)
    }

    /// Wakes at the next append to one of the topics after its mark, this process's or,
    /// once `appendMark` watches the topic, another's (`Log.waitForAppend`).
    public func waitForAppend(since marks: [String: UInt64], milliseconds: UInt64) async {
        await appendWaiters.wait(since: marks, milliseconds: milliseconds)
    }

    public func hearsEveryAppend(to topic: String) -> Bool {
        AppendWatch.shared.isWorking && watchedTopics.read { $0[topic] ?? false }
    }

    /// Watches the folder of every partition of `topic` (once per topic).
    private func watchOthersAppends(to topic: String) {
        guard watchedTopics.read({ $0[topic] }) == nil else { return }
        let first = watchedTopics.write { watched -> Bool in
            guard watched[topic] == nil else { return false }
            watched[topic] = false  // until every partition is watched
            return true
        }
        guard first, let count = try? partitionCount(of: topic) else { return }
        for partition in 0..<count {
            let target = TopicPartition(topic, partition)
            guard (try? handle(target)) != nil,
                AppendWatch.shared.watch("\(directory)/\(topic)/\(partition)", partition: target, of: self)
            else { return }
        }
        watchedTopics.write { $0[topic] = true }
    }

    /// Reads where `partition` ends, which tells the waiting readers when another process
    /// appended to it (`AppendWatch` calls this when the partition's folder changes).
    func lookForOthersAppends(in partition: TopicPartition) {
        _ = try? handle(partition).endPosition()
    }

    /// Makes everything in `partition` durable, whichever process wrote it.
    public func sync(_ partition: TopicPartition) throws(LogError) {
        try handle(partition).syncAll()
    }

    func isDeferred(_ topic: String) -> Bool { deferredSync.contains { topic.hasPrefix($0) } }

    private func count(_ entries: [[UInt8]]) {
        let bytes = entries.reduce(0) { $0 + $1.count }
        appendCount.wrappingAdd(1, ordering: .relaxed)
        entryCount.wrappingAdd(entries.count, ordering: .relaxed)
        byteCount.wrappingAdd(bytes, ordering: .relaxed)
    }

    public func read(_ partition: TopicPartition, from position: Int64, limit: Int) throws(LogError) -> [LogEntry] {
        try handle(partition).read(from: position, limit: limit)
    }

    public func endPosition(of partition: TopicPartition) throws(LogError) -> Int64 {
        try handle(partition).endPosition()
    }

    /// The first position `partition` still holds (0 unless a prefix was removed).
    public func startPosition(of partition: TopicPartition) throws(LogError) -> Int64 {
        try handle(partition).startPosition()
    }

    /// Removes the whole segments of `partition` below `position` (the log's retention:
    /// the journal's prefix a snapshot covers, see `baton prune`); returns the new start.
    /// With `dryRun`, only says where the partition would start.
    @discardableResult
    public func removePrefix(of partition: TopicPartition, below position: Int64, dryRun: Bool = false) throws(LogError) -> Int64 {
        try handle(partition).removeSegments(below: position, dryRun: dryRun)
    }

    public func committedPosition(group: String, partition: TopicPartition) throws(LogError) -> Int64? {
        try ConsumerPositions.read(directory: directory, group: group, partition: partition)
    }

    public func commit(group: String, partition: TopicPartition, position: Int64) throws(LogError) {
        if isDeferred(partition.topic) { try sync(partition) }
        // One commit at a time in this process: concurrent commits of one position (the
        // gateway's requests) never interleave their writes.
        try committing.withLock { _ throws(LogError) in
            try ConsumerPositions.write(position, directory: directory, group: group, partition: partition)
        }
    }
}

/// One open partition: its files behind a mutex, plus the group-commit state.
final class PartitionHandle: Sendable {
    private let files: Mutex<PartitionFiles>
    /// Serializes fsyncs; `synced` is the highest write sequence known durable.
    private let durability = Mutex<UInt64>(0)
    /// Called when a read or write found entries another process appended.
    private let heardOthersAppend: @Sendable () -> Void

    init(directory: String, segmentBytes: Int, repair: Bool, heardOthersAppend: @escaping @Sendable () -> Void) throws(LogError) {
        files = Mutex(try PartitionFiles(directory: directory, segmentBytes: segmentBytes, repair: repair))
        self.heardOthersAppend = heardOthersAppend
    }

    /// `files.withLock`; then, when a refresh in `body` found entries another process
    /// appended, tells this process's readers waiting for them (outside the lock).
    private func locked<Result: Sendable>(_ body: (inout PartitionFiles) throws(LogError) -> Result) throws(LogError) -> Result {
        var heard = false
        defer { if heard { heardOthersAppend() } }
        return try files.withLock { (files: inout PartitionFiles) throws(LogError) -> Result in
            defer {
                heard = files.foundOthersEntries
                files.foundOthersEntries = false
            }
            return try body(&files)
        }
    }

    /// Writes under the process mutex and the cross-process file lock, then waits until the
    /// batch is durable. Appends that arrive while an fsync runs share the next one.
    func append(_ entries: [[UInt8]]) throws(LogError) -> Int64 {
        let (position, sequence) = try write(entries)
        try sync(through: sequence)
        return position
    }

    /// Writes a batch without waiting for it to be durable; its position and write sequence.
    func write(_ entries: [[UInt8]]) throws(LogError) -> (position: Int64, sequence: UInt64) {
        try locked { (files: inout PartitionFiles) throws(LogError) in
            try files.withFileLock { () throws(LogError) in
                try files.refresh()
                let position = try files.write(entries)
                return (position, files.writeSequence)
            }
        }
    }

    /// The highest write sequence of this process known durable.
    var syncedSequence: UInt64 { durability.withLock { $0 } }

    /// Makes every batch this process wrote durable.
    func syncWrites() throws(LogError) {
        try sync(through: files.withLock { $0.writeSequence })
    }

    /// Makes the whole partition durable, other processes' writes included (their older
    /// segments were synced when they rolled past them).
    func syncAll() throws(LogError) {
        let target = try locked { (files: inout PartitionFiles) throws(LogError) in
            try files.refresh()
            return files.durabilityTarget
        }
        try POSIX.sync(target.descriptor, target.path)
        durability.withLock { $0 = max($0, target.sequence) }
    }

    private func sync(through sequence: UInt64) throws(LogError) {
        try durability.withLock { (synced: inout UInt64) throws(LogError) in
            guard synced < sequence else { return }
            // The target and the segment to sync are read together: when another append
            // rolled to a new segment after this one wrote, syncing the segment this append
            // wrote to would not cover the other's write, yet `synced` would claim it.
            let target = files.withLock { $0.durabilityTarget }
            try POSIX.sync(target.descriptor, target.path)
            synced = max(synced, target.sequence)
        }
    }

    func read(from position: Int64, limit: Int) throws(LogError) -> [LogEntry] {
        try locked { (files: inout PartitionFiles) throws(LogError) in
            if position + Int64(limit) > files.nextPosition { try files.refresh() }
            return try files.read(from: position, limit: limit)
        }
    }

    func endPosition() throws(LogError) -> Int64 {
        try locked { (files: inout PartitionFiles) throws(LogError) in
            try files.refresh()
            return files.nextPosition
        }
    }

    func startPosition() throws(LogError) -> Int64 {
        files.withLock { $0.startPosition }
    }

    func removeSegments(below position: Int64, dryRun: Bool) throws(LogError) -> Int64 {
        try locked { (files: inout PartitionFiles) throws(LogError) in
            try files.withFileLock { () throws(LogError) in
                try files.refresh()
                return try files.removeSegments(below: position, dryRun: dryRun)
            }
        }
    }
}

extension String {
    func trimmingNewline() -> String {
        var result = self
        while result.last == "\n" || result.last == " " { result.removeLast() }
        return result
    }
}
