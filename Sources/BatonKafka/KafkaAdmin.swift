internal import CRdKafka
import BatonLog

/// Topic administration through librdkafka's admin API.
///
/// Blocking: call off Swift's cooperative thread pool.
public final class KafkaAdmin: @unchecked Sendable {
    private let handle: OpaquePointer
    private let queue: OpaquePointer

    public init(_ configuration: KafkaConfiguration) throws(LogError) {
        let conf = try configuration.make([:])
        var error = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &error, error.count) else {
            throw LogError("cannot create a Kafka admin client: \(String(errorBuffer: error))")
        }
        self.handle = handle
        queue = rd_kafka_queue_new(handle)
    }

    deinit {
        rd_kafka_queue_destroy(queue)
        rd_kafka_destroy(handle)
    }

    /// Creates a topic; an existing topic is left as it is (returns false).
    @discardableResult
    public func createTopic(_ name: String, partitions: Int32, replication: Int32 = 1, settings: [String: String] = [:],
                            timeoutMilliseconds: Int32 = 15_000) throws(LogError) -> Bool {
        var error = [CChar](repeating: 0, count: 512)
        guard let topic = rd_kafka_NewTopic_new(name, partitions, replication, &error, error.count) else {
            throw LogError("topic \(name): \(String(errorBuffer: error))")
        }
        defer { rd_kafka_NewTopic_destroy(topic) }
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) { rd_kafka_NewTopic_set_config(topic, key, value) }
        var topics: [OpaquePointer?] = [topic]
        rd_kafka_CreateTopics(handle, &topics, 1, nil, queue)
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds) else {
            throw LogError("creating topic \(name): no answer from Kafka within \(timeoutMilliseconds) ms")
        }
        defer { rd_kafka_event_destroy(event) }
        if rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw LogError("creating topic \(name): \(String(cString: rd_kafka_event_error_string(event)))")
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else { throw LogError("creating topic \(name): unexpected answer") }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count), count == 1, let first = results[0] else {
            throw LogError("creating topic \(name): no result for the topic")
        }
        switch rd_kafka_topic_result_error(first) {
        case RD_KAFKA_RESP_ERR_NO_ERROR: return true
        case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS: return false
        case let code: throw LogError("creating topic \(name): \(String(cString: rd_kafka_err2str(code)))")
        }
    }

    /// The partition count of a topic, or nil if the broker does not know it. Asks for the
    /// metadata of all topics: naming one can make a broker create it with its defaults.
    public func partitionCount(_ name: String, timeoutMilliseconds: Int32 = 10_000) throws(LogError) -> Int32? {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(handle, 1, nil, &metadata, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw LogError("metadata of \(name): \(String(cString: rd_kafka_err2str(error)))")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        for index in 0..<Int(metadata.pointee.topic_cnt) {
            let entry = metadata.pointee.topics[index]
            guard String(cString: entry.topic) == name else { continue }
            return entry.err == RD_KAFKA_RESP_ERR_NO_ERROR && entry.partition_cnt > 0 ? entry.partition_cnt : nil
        }
        return nil
    }

    /// The names of every topic the cluster has.
    public func topicNames(timeoutMilliseconds: Int32 = 10_000) throws(LogError) -> [String] {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(handle, 1, nil, &metadata, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw LogError("listing topics: \(String(cString: rd_kafka_err2str(error)))")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        return (0..<Int(metadata.pointee.topic_cnt)).map { String(cString: metadata.pointee.topics[$0].topic) }
    }

    /// The high watermark of a partition (the offset the next message gets), as the broker
    /// reports it. (The test broker, tansu, reports the last batch's base offset + 1.)
    public func highWatermark(_ topic: String, _ partition: Int32, timeoutMilliseconds: Int32 = 10_000) throws(LogError) -> Int64 {
        var low: Int64 = 0
        var high: Int64 = 0
        let error = rd_kafka_query_watermark_offsets(handle, topic, partition, &low, &high, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw LogError("high watermark of \(topic)-\(partition): \(String(cString: rd_kafka_err2str(error)))")
        }
        return high
    }

    /// The configuration of a topic as the broker reports it (name -> value).
    public func topicConfiguration(_ name: String, timeoutMilliseconds: Int32 = 10_000) throws(LogError) -> [String: String] {
        guard let resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name) else {
            throw LogError("topic \(name): cannot describe")
        }
        defer { rd_kafka_ConfigResource_destroy(resource) }
        var resources: [OpaquePointer?] = [resource]
        rd_kafka_DescribeConfigs(handle, &resources, 1, nil, queue)
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds) else {
            throw LogError("describing topic \(name): no answer from Kafka within \(timeoutMilliseconds) ms")
        }
        defer { rd_kafka_event_destroy(event) }
        if rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw LogError("describing topic \(name): \(String(cString: rd_kafka_event_error_string(event)))")
        }
        guard let result = rd_kafka_event_DescribeConfigs_result(event) else { throw LogError("describing topic \(name): unexpected answer") }
        var count = 0
        guard let described = rd_kafka_DescribeConfigs_result_resources(result, &count), count == 1, let first = described[0] else {
            throw LogError("describing topic \(name): no result")
        }
        let error = rd_kafka_ConfigResource_error(first)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw LogError("describing topic \(name): \(String(cString: rd_kafka_err2str(error)))")
        }
        var entryCount = 0
        var configuration: [String: String] = [:]
        if let entries = rd_kafka_ConfigResource_configs(first, &entryCount) {
            for index in 0..<entryCount {
                guard let entry = entries[index], let key = rd_kafka_ConfigEntry_name(entry) else { continue }
                configuration[String(cString: key)] = rd_kafka_ConfigEntry_value(entry).map { String(cString: $0) }
            }
        }
        return configuration
    }
}
