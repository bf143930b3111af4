internal import CRdKafka
import BatonLog

/// librdkafka settings: Baton's defaults plus whatever the user passes through
/// (`-X key=value`, for SASL/TLS clusters and tuning).
public struct KafkaConfiguration: Sendable {
    public var settings: [String: String]

    /// - Parameter bootstrapServers: `HOST:PORT[,HOST:PORT...]`.
    public init(bootstrapServers: String, overrides: [String: String] = [:]) {
        settings = ["bootstrap.servers": bootstrapServers]
        settings.merge(overrides) { $1 }
    }

    /// Parses `key=value` pairs as given to `-X`, naming the first malformed one.
    public static func overrides(_ pairs: [String]) throws(LogError) -> [String: String] {
        var result: [String: String] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw LogError("'\(pair)' is not a Kafka setting: write -X key=value")
            }
            result[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        return result
    }

    /// A librdkafka configuration object with `settings` and then `extra` applied; errors
    /// name the setting librdkafka refused.
    func make(_ extra: [String: String]) throws(LogError) -> OpaquePointer {
        let configuration = rd_kafka_conf_new()!
        var error = [CChar](repeating: 0, count: 512)
        for (key, value) in settings.merging(extra, uniquingKeysWith: { user, _ in user }).sorted(by: { $0.key < $1.key }) {
            guard rd_kafka_conf_set(configuration, key, value, &error, error.count) == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(configuration)
                throw LogError("Kafka setting \(key)=\(value) refused: \(String(errorBuffer: error))")
            }
        }
        return configuration
    }
}

extension KafkaConfiguration {
    /// A consumer handle in `group`, subscribed to `topic`, with its messages and events
    /// on the consumer queue. Errors name the group and topic.
    /// - Parameter prepare: called with the consumer's configuration before it is created
    ///   (a rebalance callback, say).
    func subscribedConsumer(
        group: String, topic: String, settings: [String: String], events: Int32 = 0, prepare: (OpaquePointer) -> Void = { _ in }
    ) throws(LogError) -> OpaquePointer {
        let conf = try make(settings.merging(["group.id": group, "enable.auto.commit": "false"]) { $1 })
        if events != 0 { rd_kafka_conf_set_events(conf, events) }
        prepare(conf)
        var error = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &error, error.count) else {
            throw LogError("cannot create a Kafka consumer for group \(group): \(String(errorBuffer: error))")
        }
        rd_kafka_poll_set_consumer(handle)
        let list = rd_kafka_topic_partition_list_new(1)!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA)
        let subscribed = rd_kafka_subscribe(handle, list)
        guard subscribed == RD_KAFKA_RESP_ERR_NO_ERROR else {
            rd_kafka_destroy(handle)
            throw LogError("cannot subscribe group \(group) to \(topic): \(String(cString: rd_kafka_err2str(subscribed)))")
        }
        return handle
    }
}

extension UnsafeMutablePointer where Pointee == rd_kafka_topic_partition_list_t {
    /// The partition numbers a rebalance's list names.
    var partitionNumbers: [Int32] {
        (0..<Int(pointee.cnt)).map { pointee.elems[$0].partition }
    }
}

extension String {
    /// The text of a NUL-terminated error buffer librdkafka filled in.
    init(errorBuffer buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
