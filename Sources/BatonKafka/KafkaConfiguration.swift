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

extension String {
    /// The text of a NUL-terminated error buffer librdkafka filled in.
    init(errorBuffer buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
