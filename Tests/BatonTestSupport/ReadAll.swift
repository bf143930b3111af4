import BatonKafka
import BatonLog

#if canImport(Glibc)
import Glibc
#endif

/// Every entry of a partition from `position` on: reads until a read comes back empty. A
/// Kafka read returns what the broker has ready, which may be less than asked for, and on a
/// loaded machine an empty read can come before the end: on Kafka it takes three empty
/// reads in a row, 50 ms apart.
public func readAll(_ log: any Log, _ partition: TopicPartition, from position: Int64 = 0) throws -> [LogEntry] {
    var entries: [LogEntry] = []
    var emptyReads = 0
    let patience = log is KafkaLog ? 3 : 1
    while true {
        let batch = try log.read(partition, from: entries.last.map { $0.position + 1 } ?? position, limit: 100_000)
        if batch.isEmpty {
            emptyReads += 1
            if emptyReads >= patience { return entries }
            usleep(50_000)
            continue
        }
        emptyReads = 0
        entries.append(contentsOf: batch)
    }
}
