import BatonLog

/// Every entry of a partition from `position` on: reads until a read comes back empty (a
/// Kafka read returns what the broker has ready, which may be less than asked for).
public func readAll(_ log: any Log, _ partition: TopicPartition, from position: Int64 = 0) throws -> [LogEntry] {
    var entries: [LogEntry] = []
    while true {
        let batch = try log.read(partition, from: entries.last.map { $0.position + 1 } ?? position, limit: 100_000)
        if batch.isEmpty { return entries }
        entries.append(contentsOf: batch)
    }
}
