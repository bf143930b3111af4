import BatonModel
import BatonLog
import CRdKafka
import Testing

/// The embedded log partitions like Kafka's Java client, so a correlationId maps to the
/// same partition number everywhere.
struct Murmur2Tests {
    /// Vectors from Kafka's own tests of `Utils.murmur2` (UtilsTest) and from ports that
    /// check against it.
    @Test(arguments: [
        ("21", Int32(-973_932_308)), ("foobar", -790_332_482), ("a-little-bit-long-string", -985_981_536),
        ("a-little-bit-longer-string", -1_486_304_829), ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
        ("abc", 479_470_107), ("1", -1_993_445_489), ("12", 126_087_238), ("123", -267_702_483), ("1234", -1_614_185_708),
        ("12345", -1_188_365_604),
    ])
    func knownVectors(_ key: String, _ hash: Int32) {
        #expect(Murmur2.hash(Array(key.utf8)) == hash)
    }

    @Test func matchesLibrdkafkasMurmur2Partitioner() {
        for partitions: Int32 in [1, 3, 12, 64] {
            for index in 0..<2000 {
                let key = "order-\(index)-\(String(repeating: "k", count: index % 11))"
                let theirs = Array(key.utf8).withUnsafeBytes { bytes in
                    rd_kafka_msg_partitioner_murmur2(nil, bytes.baseAddress, bytes.count, partitions, nil, nil)
                }
                #expect(Murmur2.partition(forKey: key, partitions: partitions) == theirs, "key \(key)")
            }
        }
    }
}
