import BatonModel
import BatonKafka
import BatonLog
import BatonTestSupport
import Testing

/// One correlationId lands on the same partition number in the embedded log (Baton's
/// murmur2), through librdkafka's murmur2 partitioner, and in the broker.
@Suite(.serialized)
struct CoPartitioningTests {
    @Test func keysLandOnTheSamePartitionEverywhere() throws {
        let configuration = try KafkaBroker.configuration()
        let topic = KafkaBroker.freshTopic("copartition")
        let admin = try KafkaAdmin(configuration)
        #expect(try admin.createTopic(topic, partitions: 12))
        #expect(try admin.createTopic(topic, partitions: 12) == false)

        let producer = try KafkaProducer(configuration)
        let keys = (0..<300).map { "order-\($0)" }
        let deliveries = try producer.send(keys.map { .init(topic: topic, key: Array($0.utf8), value: Array("created \($0)".utf8)) })
        for (key, delivery) in zip(keys, deliveries) {
            #expect(delivery.partition == Murmur2.partition(forKey: key, partitions: 12), "\(key)")
        }
        // The broker holds each key on that partition.
        let reader = try KafkaPartitionReader(configuration)
        var seen: [String: Int32] = [:]
        for partition in Int32(0)..<12 {
            for (key, entry) in try reader.read(TopicPartition(topic, partition), from: 0) {
                let name = String(decoding: key, as: UTF8.self)
                seen[name] = partition
                #expect(String(decoding: entry.payload, as: UTF8.self) == "created \(name)")
            }
        }
        #expect(seen.count == keys.count)
        for key in keys { #expect(seen[key] == Murmur2.partition(forKey: key, partitions: 12), "\(key)") }
    }

    @Test func settingsPassThroughAndBadOnesAreNamed() throws {
        #expect(try KafkaConfiguration.overrides(["security.protocol=SASL_SSL", "sasl.mechanism=PLAIN"]) == ["security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"])
        #expect(throws: LogError.self) { try KafkaConfiguration.overrides(["nonsense"]) }
        let configuration = KafkaConfiguration(bootstrapServers: "127.0.0.1:1", overrides: ["no.such.setting": "1"])
        #expect { try KafkaProducer(configuration) } throws: { "\($0)".contains("no.such.setting") }
    }
}
