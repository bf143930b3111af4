internal import CRdKafka
import BatonLog

/// Committed positions of one consumer group, through a consumer handle that carries the
/// group id (it never subscribes; it only commits and looks up offsets).
///
/// Blocking: call off Swift's cooperative thread pool.
final class KafkaGroupOffsets: @unchecked Sendable {
    private let handle: OpaquePointer
    let group: String

    init(_ configuration: KafkaConfiguration, group: String) throws(LogError) {
        let conf = try configuration.make(["group.id": group, "enable.auto.commit": "false"])
        var error = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &error, error.count) else {
            throw LogError("cannot create a Kafka consumer for group \(group): \(String(errorBuffer: error))")
        }
        self.handle = handle
        self.group = group
    }

    deinit {
        rd_kafka_consumer_close(handle)
        rd_kafka_destroy(handle)
    }

    func committed(_ topic: String, _ partition: Int32) throws(LogError) -> Int64? {
        let list = rd_kafka_topic_partition_list_new(1)!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        rd_kafka_topic_partition_list_add(list, topic, partition)
        let error = rd_kafka_committed(handle, list, 10_000)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw LogError("reading group \(group)'s offset of \(topic)-\(partition): \(String(cString: rd_kafka_err2str(error)))")
        }
        let offset = list.pointee.elems[0].offset
        return offset >= 0 ? offset : nil
    }

    func commit(_ topic: String, _ partition: Int32, position: Int64) throws(LogError) {
        let list = rd_kafka_topic_partition_list_new(1)!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        rd_kafka_topic_partition_list_add(list, topic, partition).pointee.offset = position
        let error = rd_kafka_commit(handle, list, 0)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw LogError("committing group \(group)'s offset of \(topic)-\(partition): \(String(cString: rd_kafka_err2str(error)))")
        }
    }
}
