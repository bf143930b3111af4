import BatonKafka
import BatonLog

#if canImport(Glibc)
import Glibc
#endif

/// The Kafka-protocol broker the tests use: `make test` starts it (Tests/KafkaBroker/broker.sh)
/// and sets BATON_KAFKA to its address. Without it the Kafka tests fail with this reason;
/// nothing is skipped silently.
public enum KafkaBroker {
    public static var address: String? { getenv("BATON_KAFKA").map { String(cString: $0) } }

    public static let notConfigured = LogError("BATON_KAFKA is not set: run 'make test', which starts the test broker (Tests/KafkaBroker/broker.sh start) and sets it")

    public static func configuration() throws -> KafkaConfiguration {
        guard let address else { throw notConfigured }
        return KafkaConfiguration(bootstrapServers: address, overrides: ["socket.timeout.ms": "10000"])
    }

    /// A topic name no other test or run uses.
    public static func freshTopic(_ label: String) -> String { "baton-test-\(label)-\(getpid())-\(Int.random(in: 0..<1_000_000))" }
}
