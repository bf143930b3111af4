import BatonLog
import BatonModel

/// The log alone, measured in the same run as `baton bench`: as many messages as the run
/// wrote to the journal, of the journal's average size, appended through the same log
/// client (the same settings, acks and fsyncs) to a topic with the journal's partition
/// count, in appends of `batch` messages, then read back. Baton's messages/s and bytes/s
/// divided by these are its ratios to the raw log.
struct BenchBaseline {
    static let topic = "baton.bench-baseline"
    let messages: Int
    let messageBytes: Int
    let batch: Int
    let seconds: Double

    /// Messages (and bytes) appended and read back once per second: the unit of Baton's
    /// journal messages/s, each of which is appended and read by the engine at least once.
    var messagesPerSecond: Double { Double(messages) / max(seconds, 0.001) }
    var bytesPerSecond: Double { Double(messages * messageBytes) / max(seconds, 0.001) }

    /// Appends and reads back `messages` messages of `messageBytes` bytes.
    static func measure(_ log: any Log, partitions: Int32, messages: Int, messageBytes: Int, batch: Int = 64) throws -> BenchBaseline {
        let payload = [UInt8](repeating: 0x42, count: max(1, messageBytes))
        let begin = BenchLoad.monotonicSeconds()
        var written = 0
        var partition: Int32 = 0
        while written < messages {
            let count = min(batch, messages - written)
            try log.append(Array(repeating: payload, count: count), to: TopicPartition(topic, partition))
            written += count
            partition = (partition + 1) % partitions
        }
        var read = 0
        for partition in 0..<partitions {
            let target = TopicPartition(topic, partition)
            var cursor: Int64 = 0
            let end = try log.endPosition(of: target)
            while cursor < end {
                let entries = try log.read(target, from: cursor, limit: 2_000)
                guard let last = entries.last else { break }
                read += entries.count
                cursor = last.position + 1
            }
        }
        guard read == messages else { throw LogError("the baseline read back \(read) of the \(messages) messages it wrote to \(topic)") }
        return BenchBaseline(messages: messages, messageBytes: payload.count, batch: batch, seconds: BenchLoad.monotonicSeconds() - begin)
    }
}
