import BatonKafka
import BatonLog
import BatonModel

/// The log alone, measured in the same run as `baton bench`: as many messages as the run
/// wrote to the journal, of the journal's average size, through the same log client (the
/// same settings: acks, compression, fsyncs) to a topic with the journal's partition count,
/// enqueued in batches of `batch` messages as fast as the client takes them with one flush
/// (fsync, or wait for the broker's acks) at the end, then read back: the most the log
/// gives. On Kafka the log client is bypassed: librdkafka's own producer (Baton's settings:
/// acks=all, idempotence, lz4) takes every message at once and the partition reader reads
/// them back, the most the broker gives. Baton's messages/s and bytes/s divided by these
/// are its ratios to the raw log.
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
        if let kafka = log as? KafkaLog { return try measure(kafka, partitions: partitions, messages: messages, payload: payload, batch: batch) }
        let begin = MonotonicClock.seconds()
        var written = 0
        var partition: Int32 = 0
        while written < messages {
            let count = min(batch, messages - written)
            try log.enqueue(Array(repeating: payload, count: count), to: TopicPartition(topic, partition))
            written += count
            partition = (partition + 1) % partitions
        }
        try log.flush()
        for partition in 0..<partitions { try log.sync(TopicPartition(topic, partition)) }
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
        return BenchBaseline(messages: messages, messageBytes: payload.count, batch: batch, seconds: MonotonicClock.seconds() - begin)
    }

    /// Raw librdkafka: every message produced at once (librdkafka batches freely), all
    /// acknowledgements awaited, then everything consumed back. The producer and the reader
    /// first send and read one message per partition, untimed: connections, metadata and
    /// the topic's creation are set-up, not throughput (they dominated small loads).
    static func measure(_ log: KafkaLog, partitions: Int32, messages: Int, payload: [UInt8], batch: Int) throws -> BenchBaseline {
        let topic = log.physical(Self.topic)
        let producer = try KafkaProducer(log.configuration)
        let reader = try KafkaPartitionReader(log.configuration)
        func produce(_ count: Int) throws {
            _ = try producer.send((0..<count).map { .init(topic: topic, partition: Int32($0 % Int(partitions)), value: payload) }, timeoutMilliseconds: 300_000)
        }
        /// Reads `count` messages spread as `produce` spread them, from each partition's `first`.
        func consume(_ count: Int, from first: Int64) throws -> Int {
            var read = 0
            for partition in 0..<partitions {
                let expected = count / Int(partitions) + (Int(partition) < count % Int(partitions) ? 1 : 0)
                var got = 0
                while got < expected {
                    let entries = try reader.read(TopicPartition(topic, partition), from: first + Int64(got), limit: 100_000)
                    guard !entries.isEmpty else { throw LogError("the baseline read back \(got) of \(expected) messages from \(topic)-\(partition)") }
                    got += entries.count
                }
                read += got
            }
            return read
        }
        try produce(Int(partitions))
        _ = try consume(Int(partitions), from: 0)
        let begin = MonotonicClock.seconds()
        try produce(messages)
        let read = try consume(messages, from: 1)
        return BenchBaseline(messages: read, messageBytes: payload.count, batch: messages, seconds: MonotonicClock.seconds() - begin)
    }
}
