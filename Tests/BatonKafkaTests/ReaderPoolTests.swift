import BatonKafka
import BatonLog
import BatonTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One log reads 100 partitions through a fixed number of librdkafka handles (issue 14):
/// each partition keeps its own position, a read from the start of one does not disturb
/// another, and the process does not grow a thread set per partition.
@Suite(.serialized)
struct ReaderPoolTests {
    /// Threads of this process (each librdkafka handle brings its own).
    func threadCount() -> Int {
        var count = 0
        guard let directory = opendir("/proc/self/task") else { return -1 }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != ".", name != ".." { count += 1 }
        }
        return count
    }

    @Test func aHundredPartitionsAreReadThroughAFewHandles() throws {
        let configuration = try KafkaBroker.configuration()
        let topic = KafkaBroker.freshTopic("pool")
        let log = try KafkaLog(configuration, topics: [topic: 100], readHandles: 4)
        #expect(try log.partitionCount(of: topic) == 100)
        for partition in Int32(0)..<100 {
            try log.enqueue((0..<3).map { Array("p\(partition)-e\($0)".utf8) }, to: TopicPartition(topic, partition))
        }
        try log.flush()
        let threadsBefore = threadCount()
        for partition in Int32(0)..<100 {
            let entries = try log.read(TopicPartition(topic, partition), from: 0, limit: 100)
            #expect(entries.map(\.position) == [0, 1, 2], "partition \(partition)")
            #expect(entries.map { String(decoding: $0.payload, as: UTF8.self) } == (0..<3).map { "p\(partition)-e\($0)" })
        }
        #expect(log.readHandleCount == 4)
        // One handle per partition added several threads each (a main thread and one per
        // broker connection): a hundred partitions would have added hundreds.
        let added = threadCount() - threadsBefore
        #expect(added < 40, "\(added) threads added reading 100 partitions")

        // Positions are kept per partition: reading on continues, reading again from an
        // earlier position starts there, and neither disturbs a neighbour on the same handle.
        try log.append([Array("p7-e3".utf8)], to: TopicPartition(topic, 7))
        // A read may come back empty before the broker delivers (the log's contract).
        var appended: [LogEntry] = []
        for _ in 0..<200 where appended.isEmpty { appended = try log.read(TopicPartition(topic, 7), from: 3, limit: 10) }
        #expect(appended.map(\.position) == [3])
        #expect(try log.read(TopicPartition(topic, 7), from: 1, limit: 10).map(\.position) == [1, 2, 3])
        #expect(try log.read(TopicPartition(topic, 11), from: 2, limit: 10).map(\.position) == [2])
        #expect(try log.read(TopicPartition(topic, 3), from: 3, limit: 10).isEmpty)
    }
}
