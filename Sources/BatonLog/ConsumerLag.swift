/// How far a consumer group is behind on one partition: the end of the partition minus the
/// group's committed position (everything when it never committed). The signal autoscalers
/// read for workers (`baton topics lag`, the `/metrics` endpoint).
public struct PartitionLag: Sendable, Hashable {
    public let topic: String
    public let group: String
    public let partition: Int32
    public let end: Int64
    public let committed: Int64?

    public var lag: Int64 { max(0, end - (committed ?? 0)) }

    /// The lag of every partition of `topic` for `group`.
    ///
    /// - Parameter end: the end of a partition as the backend reports it (Kafka: the high
    ///   watermark; default: `endPosition`).
    public static func measure(
        _ log: any Log, topic: String, group: String,
        end: (TopicPartition) throws(LogError) -> Int64 = { _ throws(LogError) in -1 }
    ) throws(LogError) -> [PartitionLag] {
        var lags: [PartitionLag] = []
        for partition in try 0..<log.partitionCount(of: topic) {
            let target = TopicPartition(topic, partition)
            var last = try end(target)
            if last < 0 { last = try log.endPosition(of: target) }
            lags.append(PartitionLag(topic: topic, group: group, partition: partition, end: last,
                                     committed: try log.committedPosition(group: group, partition: target)))
        }
        return lags
    }
}

/// A backend that can list the topics it holds (the file log's folders, Kafka's metadata).
public protocol TopicListing: Log {
    func topicNames() throws(LogError) -> [String]
    /// The end of a partition as cheaply as the backend knows it, for lag figures.
    func reportedEnd(of partition: TopicPartition) throws(LogError) -> Int64
}
