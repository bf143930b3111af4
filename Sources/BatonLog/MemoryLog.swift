import Synchronization

/// A log held in memory: the reference backend for the behaviour suite and for
/// deterministic simulation. Thread-safe; nothing survives the process.
public final class MemoryLog: LocalReads {
    private struct Storage {
        var partitions: [TopicPartition: [[UInt8]]] = [:]
        var commits: [String: [TopicPartition: Int64]] = [:]
    }

    private let storage = Mutex(Storage())
    private let defaultPartitions: Int32
    private let topicPartitions: [String: Int32]

    /// - Parameters:
    ///   - defaultPartitions: partitions of a topic not named in `topics`.
    ///   - topics: partition counts by topic name.
    public init(defaultPartitions: Int32 = 1, topics: [String: Int32] = [:]) {
        self.defaultPartitions = defaultPartitions
        self.topicPartitions = topics
    }

    public func partitionCount(of topic: String) -> Int32 { topicPartitions[topic] ?? defaultPartitions }

    @discardableResult
    public func append(_ entries: [[UInt8]], to partition: TopicPartition) throws(LogError) -> Int64 {
        try checkPartition(partition)
        return storage.withLock { storage in
            let first = Int64(storage.partitions[partition]?.count ?? 0)
            storage.partitions[partition, default: []].append(contentsOf: entries)
            return first
        }
    }

    public func read(_ partition: TopicPartition, from position: Int64, limit: Int) throws(LogError) -> [LogEntry] {
        try checkPartition(partition)
        return storage.withLock { storage in
            let entries = storage.partitions[partition] ?? []
            let start = Int(max(0, position))
            guard start < entries.count else { return [] }
            let end = min(entries.count, start + max(0, limit))
            return (start..<end).map { LogEntry(position: Int64($0), payload: entries[$0]) }
        }
    }

    public func endPosition(of partition: TopicPartition) throws(LogError) -> Int64 {
        try checkPartition(partition)
        return storage.withLock { Int64($0.partitions[partition]?.count ?? 0) }
    }

    public func committedPosition(group: String, partition: TopicPartition) throws(LogError) -> Int64? {
        storage.withLock { $0.commits[group]?[partition] }
    }

    public func commit(group: String, partition: TopicPartition, position: Int64) throws(LogError) {
        storage.withLock { $0.commits[group, default: [:]][partition] = position }
    }

    private func checkPartition(_ partition: TopicPartition) throws(LogError) {
        guard partition.partition >= 0, partition.partition < partitionCount(of: partition.topic) else {
            throw LogError("\(partition) does not exist: topic '\(partition.topic)' has \(partitionCount(of: partition.topic)) partition(s)")
        }
    }
}
