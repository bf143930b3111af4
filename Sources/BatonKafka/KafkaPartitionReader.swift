internal import CRdKafka
import BatonLog
import Synchronization

/// Reads one topic partition from a position, without a consumer group (assign + poll).
/// A read that continues where the last one stopped keeps the assignment (and librdkafka's
/// prefetched messages); any other position re-assigns.
///
/// Blocking: call off Swift's cooperative thread pool. Not for concurrent use: one caller
/// at a time (KafkaLog keeps one reader per partition behind a lock).
public final class KafkaPartitionReader: @unchecked Sendable {
    private let handle: OpaquePointer
    /// One read at a time on this handle (KafkaLog shares a reader per partition).
    let turn = Mutex(())
    private var assigned: (partition: TopicPartition, next: Int64)?
    /// The assignment has reached the partition's end and nothing came since: a read then
    /// only checks briefly for news instead of waiting the full idle time.
    private var caughtUp = false

    public init(_ configuration: KafkaConfiguration) throws(LogError) {
        let conf = try configuration.make([
            "group.id": "baton-reader", "enable.auto.commit": "false", "enable.partition.eof": "true",
            "auto.offset.reset": "earliest", "fetch.wait.max.ms": "5", "fetch.error.backoff.ms": "5",
        ])
        var error = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &error, error.count) else {
            throw LogError("cannot create a Kafka consumer: \(String(errorBuffer: error))")
        }
        self.handle = handle
    }

    deinit {
        rd_kafka_consumer_close(handle)
        rd_kafka_destroy(handle)
    }

    /// Messages of `partition` from `position` until the partition's end (or `limit`), or
    /// until nothing arrives for `idleMilliseconds` (librdkafka reports the end of a
    /// partition only once per catch-up).
    public func read(_ partition: TopicPartition, from position: Int64, limit: Int = .max, idleMilliseconds: Int64 = 15,
                     timeoutMilliseconds: Int64 = 10_000) throws(LogError) -> [(key: [UInt8], entry: LogEntry)] {
        // After a fresh assignment nothing can be concluded until the broker has answered
        // once (a message, or the end of the partition): a new handle's first fetch takes a
        // connection and a round trip.
        var answered = true
        var idle = caughtUp ? 1 : idleMilliseconds
        if assigned?.partition != partition || assigned?.next != position {
            answered = false
            caughtUp = false
            idle = idleMilliseconds
            let list = rd_kafka_topic_partition_list_new(1)!
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let element = rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)!
            element.pointee.offset = position
            guard rd_kafka_assign(handle, list) == RD_KAFKA_RESP_ERR_NO_ERROR else { throw LogError("cannot assign \(partition)") }
            assigned = (partition, position)
        }
        var result: [(key: [UInt8], entry: LogEntry)] = []
        let deadline = MonotonicClock.milliseconds() + timeoutMilliseconds
        var lastMessage = MonotonicClock.milliseconds()
        while result.count < limit {
            let now = MonotonicClock.milliseconds()
            if answered, now - lastMessage >= idle { break }
            guard now < deadline else { throw LogError("reading \(partition): no end of partition within \(timeoutMilliseconds) ms") }
            guard let message = rd_kafka_consumer_poll(handle, Int32(min(5, idle))) else { continue }
            defer { rd_kafka_message_destroy(message) }
            let error = message.pointee.err
            if error == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                caughtUp = true
                break
            }
            answered = true
            caughtUp = false
            idle = idleMilliseconds
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                assigned = nil
                throw LogError("reading \(partition): \(String(cString: rd_kafka_err2str(error)))")
            }
            lastMessage = MonotonicClock.milliseconds()
            let key = message.pointee.key.map { Array(UnsafeRawBufferPointer(start: $0, count: message.pointee.key_len)) } ?? []
            let value = message.pointee.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: message.pointee.len)) } ?? []
            result.append((key, LogEntry(position: message.pointee.offset, payload: value, key: message.pointee.key == nil ? nil : key)))
            assigned = (partition, message.pointee.offset + 1)
        }
        return result
    }
}
