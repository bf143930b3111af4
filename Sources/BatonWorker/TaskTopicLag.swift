import BatonLog
import BatonModel

/// The lag of the workers of each task topic: tasks published but not yet answered and
/// committed by the topic's consumer group (`baton-workers.<topic>`). What an autoscaler
/// scales worker processes on.
public enum TaskTopicLag {
    /// The consumer group of a task topic's workers.
    public static func group(_ topic: String) -> String { "baton-workers." + topic }

    /// Per partition, for `topics` (task topic names without the `baton.task.` prefix), or
    /// for every task topic the log holds.
    public static func measure(_ log: any Log, topics: [String]? = nil) throws(LogError) -> [PartitionLag] {
        var names = topics
        if names == nil, let listing = log as? any TopicListing {
            names = try listing.topicNames().filter { $0.hasPrefix(Topics.taskPrefix) }.map { String($0.dropFirst(Topics.taskPrefix.count)) }
        }
        var lags: [PartitionLag] = []
        for topic in (names ?? []).sorted() {
            let listing = log as? any TopicListing
            lags += try PartitionLag.measure(log, topic: Topics.tasks(topic), group: group(topic)) { (partition) throws(LogError) -> Int64 in
                try listing?.reportedEnd(of: partition) ?? -1
            }
        }
        return lags
    }

    /// Per topic: the partitions summed.
    public static func totals(_ lags: [PartitionLag]) -> [(topic: String, group: String, partitions: Int, end: Int64, committed: Int64, lag: Int64)] {
        var order: [String] = []
        var sums: [String: (group: String, partitions: Int, end: Int64, committed: Int64, lag: Int64)] = [:]
        for lag in lags {
            if sums[lag.topic] == nil { order.append(lag.topic) }
            var sum = sums[lag.topic] ?? (lag.group, 0, 0, 0, 0)
            sum.partitions += 1
            sum.end += lag.end
            sum.committed += lag.committed ?? 0
            sum.lag += lag.lag
            sums[lag.topic] = sum
        }
        return order.map { (topic: $0, group: sums[$0]!.group, partitions: sums[$0]!.partitions, end: sums[$0]!.end, committed: sums[$0]!.committed, lag: sums[$0]!.lag) }
    }
}
