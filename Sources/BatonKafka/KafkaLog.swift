internal import CRdKafka
import BatonLog
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The `Log` contract on Apache Kafka (or any Kafka-protocol broker): topics are created on
/// first use with the configured partition count, appends are idempotent acks=all
/// produces to an explicit partition, reads go through a fixed pool of consumer handles
/// however many partitions are read (`KafkaReaderPool`), consumer positions are the
/// group's committed offsets.
///
/// Differences from the file log, by Kafka's nature: a batch of several entries is written
/// in order but not atomically (Baton only needs one-entry steps to be atomic), and `read`
/// stops at the end of what the broker reports or after a short idle wait.
///
/// `topicPrefix` namespaces every topic, so several Baton installations (or test runs) can
/// share one cluster.
public final class KafkaLog: KeyedLog {
    public let configuration: KafkaConfiguration
    public let topicPrefix: String
    private let producer: KafkaProducer
    private let admin: KafkaAdmin
    private let defaultPartitions: Int32
    private let configuredTopics: [String: Int32]
    /// Partition counts of new topics whose names start with a key (`baton.task.`).
    private let partitionsByPrefix: [String: Int32]
    private let counts = Mutex<[String: Int32]>([:])
    private let readers: KafkaReaderPool
    private let groups = Mutex<[String: KafkaGroupOffsets]>([:])
    /// Enqueued appends not yet known durable, which `flush()` waits for.
    private let outstanding = Mutex<[Range<UInt64>]>([])
    /// Prefixes of topics whose enqueued appends `flush()` does not wait for (task topics:
    /// made again from the journal after a crash); `sync(_:)` does.
    private let deferredSync: [String]
    /// Enqueued appends to deferred topics not yet known durable, by partition.
    private let deferred = Mutex<[TopicPartition: [Range<UInt64>]]>([:])

    public init(
        _ configuration: KafkaConfiguration, topicPrefix: String = "", defaultPartitions: Int32 = 1, topics: [String: Int32] = [:], partitionsByPrefix: [String: Int32] = [:],
        readHandles: Int = KafkaLog.defaultReadHandles, deferredSync: [String] = [], readIdleStopMilliseconds: Int64 = 5_000
    ) throws(LogError) {
        self.configuration = configuration
        self.deferredSync = deferredSync
        self.topicPrefix = topicPrefix
        self.defaultPartitions = defaultPartitions
        configuredTopics = topics
        self.partitionsByPrefix = partitionsByPrefix
        readers = try KafkaReaderPool(configuration, handles: readHandles, idleStopMilliseconds: readIdleStopMilliseconds)
        producer = try KafkaProducer(configuration)
        admin = try KafkaAdmin(configuration)
    }

    /// Consumer handles reads go through, for any number of partitions.
    public static let defaultReadHandles = 4
    public var readHandleCount: Int { readers.handleCount }
    /// Partitions being fetched now: those read within `readIdleStopMilliseconds`.
    public var consumingPartitionCount: Int { readers.consumingPartitions }
    /// Batches enqueued to deferred topics whose acknowledgement was not yet seen.
    public var unsyncedDeferredAppends: Int { deferred.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    /// The name of `topic` on the cluster (with the prefix).
    public func physical(_ topic: String) -> String { topicPrefix + topic }

    /// The topic's partition count from the cluster's metadata; a topic that does not exist
    /// is created with the configured count first. A metadata request that fails is an
    /// error, never a default: a wrong count would send keys to other partitions.
    public func partitionCount(of topic: String) throws(LogError) -> Int32 {
        if let known = counts.withLock({ $0[topic] }) { return known }
        if let count = try admin.partitionCount(physical(topic)) {
            counts.withLock { $0[topic] = count }
            return count
        }
        let wanted = configuredTopics[topic] ?? partitionsByPrefix.first { topic.hasPrefix($0.key) }?.value ?? defaultPartitions
        // Another process may create it at the same time, with its own count: the metadata
        // read afterwards decides.
        _ = try? admin.createTopic(physical(topic), partitions: wanted)
        for attempt in 0..<20 {
            if let created = try admin.partitionCount(physical(topic)) {
                counts.withLock { $0[topic] = created }
                return created
            }
            if attempt < 19 { usleep(100_000) }
        }
        throw LogError("topic \(physical(topic)) does not exist and was not created (its metadata shows no partitions)")
    }

    private func check(_ partition: TopicPartition) throws(LogError) {
        let count = try partitionCount(of: partition.topic)
        guard partition.partition >= 0, partition.partition < count else {
            throw LogError("\(partition) does not exist: topic '\(partition.topic)' has \(count) partition(s)")
        }
    }

    @discardableResult
    public func append(_ entries: [[UInt8]], to partition: TopicPartition) throws(LogError) -> Int64 {
        try check(partition)
        guard !entries.isEmpty else { throw LogError("an append needs at least one entry") }
        let topic = physical(partition.topic)
        let deliveries = try producer.send(entries.map { KafkaProducer.Message(topic: topic, partition: partition.partition, value: $0) })
        return deliveries.map(\.offset).min() ?? 0
    }

    /// Appends entries with their keys (the journal's commands are keyed by correlationId,
    /// so any Kafka consumer sees which instance a command is for).
    public func appendKeyed(_ entries: [[UInt8]], keys: [String], to partition: TopicPartition) throws(LogError) -> Int64 {
        try check(partition)
        guard !entries.isEmpty, keys.count == entries.count else { throw LogError("an append needs at least one entry, and one key per entry") }
        let topic = physical(partition.topic)
        let messages = zip(entries, keys).map { KafkaProducer.Message(topic: topic, partition: partition.partition, key: Array($1.utf8), value: $0) }
        return try producer.send(messages).map(\.offset).min() ?? 0
    }

    public func enqueue(_ entries: [[UInt8]], to partition: TopicPartition) throws(LogError) {
        try check(partition)
        guard !entries.isEmpty else { throw LogError("an append needs at least one entry") }
        let topic = physical(partition.topic)
        let ids = try producer.start(entries.map { KafkaProducer.Message(topic: topic, partition: partition.partition, value: $0) })
        started(ids, to: partition)
    }

    public func enqueueKeyed(_ entries: [[UInt8]], keys: [String], to partition: TopicPartition) throws(LogError) {
        try check(partition)
        guard !entries.isEmpty, keys.count == entries.count else { throw LogError("an append needs at least one entry, and one key per entry") }
        let topic = physical(partition.topic)
        let ids = try producer.start(zip(entries, keys).map { KafkaProducer.Message(topic: topic, partition: partition.partition, key: Array($1.utf8), value: $0) })
        started(ids, to: partition)
    }

    private func started(_ ids: Range<UInt64>, to partition: TopicPartition) {
        if deferredSync.contains(where: { partition.topic.hasPrefix($0) }) {
            deferred.withLock { $0[partition, default: []].append(ids) }
        } else {
            outstanding.withLock { $0.append(ids) }
        }
    }

    /// Waits for every enqueued append but those to deferred topics; of those, forgets the
    /// ones acknowledged meanwhile and throws if one failed.
    public func flush() throws(LogError) {
        let pending = outstanding.withLock { pending -> [Range<UInt64>] in
            defer { pending = [] }
            return pending
        }
        for ids in pending { _ = try producer.wait(for: ids) }
        try deferred.withLock { (deferred: inout [TopicPartition: [Range<UInt64>]]) throws(LogError) in
            for (partition, ranges) in deferred {
                var waiting = ranges[...]
                // A range that failed is taken (its reports are gone) before the failure is
                // thrown, so no later `sync` waits for it.
                defer { deferred[partition] = waiting.isEmpty ? nil : Array(waiting) }
                while let first = waiting.first {
                    let acknowledged: Bool
                    do throws(LogError) {
                        acknowledged = try producer.acknowledged(first)
                    } catch {
                        waiting = waiting.dropFirst()
                        throw error
                    }
                    guard acknowledged else { break }
                    waiting = waiting.dropFirst()
                }
            }
        }
    }

    /// Waits until every append enqueued to `partition` is acknowledged.
    public func sync(_ partition: TopicPartition) throws(LogError) {
        let pending = deferred.withLock { $0.removeValue(forKey: partition) ?? [] }
        for ids in pending { _ = try producer.wait(for: ids) }
    }

    public func read(_ partition: TopicPartition, from position: Int64, limit: Int) throws(LogError) -> [LogEntry] {
        try check(partition)
        return try readers.read(TopicPartition(physical(partition.topic), partition.partition), from: position, limit: limit)
    }

    /// What the reader's queue holds from `position` on (waiting at most a millisecond for
    /// something when it holds nothing), without waiting for the end of the partition.
    public func readArrived(_ partition: TopicPartition, from position: Int64, limit: Int) throws(LogError) -> [LogEntry] {
        try check(partition)
        return try readers.read(TopicPartition(physical(partition.topic), partition.partition), from: position, limit: limit, untilEnd: false)
    }

    /// Reads to the end: the broker's high watermark cannot be trusted everywhere (the
    /// test broker reports the last batch's base offset + 1).
    /// Counted by reading (a broker's high watermark may be wrong: the test broker's is),
    /// and never below the high watermark. A read may come back empty before the end while
    /// the broker catches up, so the end is the position after three empty reads in a row.
    public func endPosition(of partition: TopicPartition) throws(LogError) -> Int64 {
        var position: Int64 = 0
        var empty = 0
        while empty < 3 {
            let entries = try read(partition, from: position, limit: 10_000)
            if let last = entries.last {
                position = last.position + 1
                empty = 0
            } else {
                empty += 1
            }
        }
        return max(position, try reportedEnd(of: partition))
    }

    private func offsets(_ group: String) throws(LogError) -> KafkaGroupOffsets {
        try groups.withLock { (groups: inout [String: KafkaGroupOffsets]) throws(LogError) -> KafkaGroupOffsets in
            if let existing = groups[group] { return existing }
            let created = try KafkaGroupOffsets(configuration, group: topicPrefix + group)
            groups[group] = created
            return created
        }
    }

    public func committedPosition(group: String, partition: TopicPartition) throws(LogError) -> Int64? {
        try check(partition)
        return try offsets(group).committed(physical(partition.topic), partition.partition)
    }

    public func commit(group: String, partition: TopicPartition, position: Int64) throws(LogError) {
        try check(partition)
        try offsets(group).commit(physical(partition.topic), partition.partition, position: position)
    }
}

extension KafkaLog: TopicListing {
    /// The topics of this installation (with the prefix, which is taken off).
    public func topicNames() throws(LogError) -> [String] {
        try admin.topicNames().filter { $0.hasPrefix(topicPrefix) }.map { String($0.dropFirst(topicPrefix.count)) }
    }

    /// The broker's high watermark: cheap, and right on Kafka (not on the test broker).
    public func reportedEnd(of partition: TopicPartition) throws(LogError) -> Int64 {
        try admin.highWatermark(physical(partition.topic), partition.partition)
    }
}
