/// Kafka's default partitioner hash (`org.apache.kafka.common.utils.Utils.murmur2`, seed
/// 0x9747b28c), computed over the UTF-8 bytes of the key.
public enum Murmur2 {
    public static func hash(_ bytes: [UInt8]) -> Int32 {
        let m: UInt32 = 0x5bd1_e995
        let r: UInt32 = 24
        let length = bytes.count
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: length)
        let blocks = length / 4
        for block in 0..<blocks {
            let i = block * 4
            var k = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
            k = k &* m
            k ^= k >> r
            k = k &* m
            h = h &* m
            h ^= k
        }
        let tail = blocks * 4
        switch length % 4 {
        case 3:
            h ^= UInt32(bytes[tail + 2]) << 16
            h ^= UInt32(bytes[tail + 1]) << 8
            h ^= UInt32(bytes[tail])
            h = h &* m
        case 2:
            h ^= UInt32(bytes[tail + 1]) << 8
            h ^= UInt32(bytes[tail])
            h = h &* m
        case 1:
            h ^= UInt32(bytes[tail])
            h = h &* m
        default:
            break
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }

    /// `toPositive(murmur2(key)) % partitions`, exactly as the Java client's default
    /// partitioner and librdkafka's `murmur2_random` partitioner do for keyed messages.
    public static func partition(forKey key: String, partitions: Int32) -> Int32 {
        precondition(partitions > 0, "a topic has at least one partition")
        let positive = UInt32(bitPattern: hash(Array(key.utf8))) & 0x7FFF_FFFF
        return Int32(positive % UInt32(partitions))
    }
}
