import BatonModel

/// One entry read back from a log partition.
public struct LogEntry: Sendable, Hashable {
    /// The entry's offset in its partition: dense, starting at 0.
    public let position: Int64
    public let payload: [UInt8]
    /// The entry's key where the backend keeps keys (Kafka); nil on the others.
    public let key: [UInt8]?

    public init(position: Int64, payload: [UInt8], key: [UInt8]? = nil) {
        self.position = position
        self.payload = payload
        self.key = key
    }
}

/// A topic and one of its partitions.
public struct TopicPartition: Sendable, Hashable, CustomStringConvertible {
    public let topic: String
    public let partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)-\(partition)" }
}

/// Why a log operation failed, naming the file or record at fault where there is one.
public struct LogError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A backend that stores a key with each entry.
public protocol KeyedLog: Log {
    func appendKeyed(_ entries: [[UInt8]], keys: [String], to partition: TopicPartition) throws(LogError) -> Int64
    func enqueueKeyed(_ entries: [[UInt8]], keys: [String], to partition: TopicPartition) throws(LogError)
}

/// The contract every log backend keeps (in-memory, embedded file log, Kafka): partitioned
/// topics of opaque entries with dense positions, atomic batch appends, reads from a
/// position, and consumer positions per group.
///
/// Contract:
/// - `append` writes all entries of the batch or none; when it returns, the entries are
///   durable (for the file log: fsynced) and have consecutive positions starting at the
///   returned one. Batches from several appenders (threads or processes) never interleave.
/// - `read` returns entries in position order starting at `position`, at most `limit`, and
///   sees every batch whose `append` has returned, whoever appended it. It may return fewer
///   than are there (Kafka returns what the broker has ready): an empty result means
///   nothing more right now, and callers read on from the last position they got.
/// - Committed positions survive a restart; a commit replaces the previous one atomically.
/// - Methods may block on I/O: call them off the cooperative thread pool.
public protocol Log: AnyObject, Sendable {
    /// Partitions of a topic; topics that do not exist yet report (and get) the configured
    /// count. A failure to learn the count (an unreadable count file, a metadata request that
    /// fails) is an error, never a default: a wrong count sends keys to other partitions.
    func partitionCount(of topic: String) throws(LogError) -> Int32
    /// Appends a batch atomically; returns the position of its first entry.
    @discardableResult
    func append(_ entries: [[UInt8]], to partition: TopicPartition) throws(LogError) -> Int64
    /// Entries from `position` on, at most `limit`.
    func read(_ partition: TopicPartition, from position: Int64, limit: Int) throws(LogError) -> [LogEntry]
    /// Like `read`, but returns what has arrived as soon as it has it, without waiting to
    /// learn whether more is on its way: for a loop that reads again within milliseconds
    /// (the engine's rounds) and would rather act on what it has. A `read` that waits for
    /// the partition's end (Kafka's) is what a recovery needs; this one is what latency
    /// needs. Backends whose reads never wait use `read`.
    func readArrived(_ partition: TopicPartition, from position: Int64, limit: Int) throws(LogError) -> [LogEntry]
    /// The position the next appended entry will get.
    func endPosition(of partition: TopicPartition) throws(LogError) -> Int64
    /// The position a consumer group will read next, or nil if it never committed.
    func committedPosition(group: String, partition: TopicPartition) throws(LogError) -> Int64?
    func commit(group: String, partition: TopicPartition, position: Int64) throws(LogError)

    /// Starts an append without waiting for it to be durable; `flush()` waits for every
    /// append started so far and reports the first failure. Entries of one partition keep
    /// their order. Backends without pipelining append at once.
    func enqueue(_ entries: [[UInt8]], to partition: TopicPartition) throws(LogError)
    /// Waits until every enqueued append is durable; throws the first failure (the caller
    /// must then treat what it enqueued as possibly lost, and recover from the log).
    func flush() throws(LogError)

    /// Appends entries made from the journal and made again after a crash (the events
    /// export): a backend that can defer the fsync (the file log) writes them without
    /// waiting, and `sync(_:)` makes them durable before their source position is committed.
    func appendDerived(_ entries: [[UInt8]], keys: [String], to partition: TopicPartition) throws(LogError)
    /// Makes everything appended to `partition` durable (nothing to do where appends are).
    func sync(_ partition: TopicPartition) throws(LogError)
    /// How many appends to `topic` this log has heard of: a reader that may find nothing
    /// takes it before it reads, and hands it to `waitForAppend(since:milliseconds:)`.
    func appendMark(of topic: String) -> UInt64
    /// Returns at the first append heard of to one of the topics of `marks` after the mark
    /// given for it (at once if one came already), or after `milliseconds`. For readers that
    /// found nothing: a backend that hears of appends (the file log) wakes them at once
    /// instead of after a poll interval; the others (Kafka, where a read waits at the
    /// broker) just wait.
    func waitForAppend(since marks: [String: UInt64], milliseconds: UInt64) async
    /// Whether the log hears of every append to `topic`, other processes' too (the file log
    /// watching its folders): a waiting reader then needs its timeout only as a safety net.
    func hearsEveryAppend(to topic: String) -> Bool
}

extension Log {
    public func readArrived(_ partition: TopicPartition, from position: Int64, limit: Int) throws(LogError) -> [LogEntry] {
        try read(partition, from: position, limit: limit)
    }
    public func enqueue(_ entries: [[UInt8]], to partition: TopicPartition) throws(LogError) { try append(entries, to: partition) }
    public func flush() throws(LogError) {}
    public func appendDerived(_ entries: [[UInt8]], keys: [String], to partition: TopicPartition) throws(LogError) {
        _ = try append(entries, keys: keys, to: partition)
    }
    public func sync(_ partition: TopicPartition) throws(LogError) {}
    public func appendMark(of topic: String) -> UInt64 { 0 }
    public func waitForAppend(since marks: [String: UInt64], milliseconds: UInt64) async {
        try? await Task.sleep(nanoseconds: milliseconds * 1_000_000)
    }
    public func hearsEveryAppend(to topic: String) -> Bool { false }

    /// Appends a batch whose entries carry keys (correlationIds). Backends that keep keys
    /// (Kafka, where any consumer may read them) store them; the others ignore them, the
    /// partition having been chosen by the key already.
    @discardableResult
    public func append(_ entries: [[UInt8]], keys: [String], to partition: TopicPartition) throws(LogError) -> Int64 {
        if let keyed = self as? any KeyedLog { return try keyed.appendKeyed(entries, keys: keys, to: partition) }
        return try append(entries, to: partition)
    }

    /// `enqueue` with a key per entry (stored where the backend keeps keys).
    public func enqueue(_ entries: [[UInt8]], keys: [String], to partition: TopicPartition) throws(LogError) {
        if let keyed = self as? any KeyedLog { return try keyed.enqueueKeyed(entries, keys: keys, to: partition) }
        try enqueue(entries, to: partition)
    }

    /// The partition a key maps to, as Kafka's Java client computes it (murmur2), so that a
    /// correlationId lands on the same partition number on every backend.
    public func partition(forKey key: String, topic: String) throws(LogError) -> Int32 {
        Murmur2.partition(forKey: key, partitions: try partitionCount(of: topic))
    }
}

/// A backend whose reads take what is in memory or in local files just written (the page
/// cache): never a network round trip, never an fsync, never a lock held across either. A
/// reader that polls often (a worker's fetch loop) may read it from a cooperative thread
/// instead of paying two thread switches for each poll.
public protocol LocalReads: Log {}

/// A backend on which the members of a consumer group divide a topic's partitions among
/// themselves (Kafka does this in the broker; the file log with lock files).
public protocol PartitionSharing: Log {
    /// Joins `group` for `topic`; the member holds a share of the partitions until it leaves
    /// (or its process dies).
    func join(group: String, topic: String) throws(LogError) -> any GroupMember
}

/// One member of a consumer group on a `PartitionSharing` log.
public protocol GroupMember: AnyObject, Sendable {
    /// The partitions this member holds now, after taking its fair share of the free ones
    /// and giving back what is over it. `beforeGivingBack` is called with the partitions
    /// about to be given back, to commit what was read from them: their next holder reads
    /// on from the committed position.
    func partitions(beforeGivingBack: ([Int32]) throws(LogError) -> Void) throws(LogError) -> [Int32]
    /// Gives every partition back and leaves the group.
    func leave()
    /// The partitions this member holds, when nothing is due to change (no look at the
    /// other members due, nothing to give back); nil when `partitions(beforeGivingBack:)`
    /// must be called (on a blocking thread: it may commit).
    func settledPartitions() -> [Int32]?
}

extension GroupMember {
    public func settledPartitions() -> [Int32]? { nil }
    public func partitions() throws(LogError) -> [Int32] { try partitions(beforeGivingBack: { _ throws(LogError) in }) }
}
