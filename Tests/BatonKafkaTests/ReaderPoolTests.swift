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
    /// librdkafka's threads in this process (each handle brings its own, named "rdk:...";
    /// other threads, such as those of tests running beside this one, are not counted).
    func threadCount() -> Int {
        var count = 0
        guard let directory = opendir("/proc/self/task") else { return -1 }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name != ".", name != ".." else { continue }
            let file = open("/proc/self/task/\(name)/comm", O_RDONLY)
            guard file >= 0 else { continue }
            var comm = [UInt8](repeating: 0, count: 4)
            if read(file, &comm, 4) == 4, comm == Array("rdk:".utf8) { count += 1 }
            close(file)
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
        // broker connection): a hundred partitions would have added hundreds. (Kafka tests
        // running beside this one add their handles' threads too.)
        let added = threadCount() - threadsBefore
        #expect(added < 100, "\(added) librdkafka threads added reading 100 partitions")

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

    /// A partition nobody reads stops fetching (the snapshots topic after a recovery), and
    /// is read on from where it was at its next read.
    @Test func aPartitionNotReadForAWhileStopsAndResumesWhereItWas() throws {
        let topic = KafkaBroker.freshTopic("idle")
        let log = try KafkaLog(try KafkaBroker.configuration(), topics: [topic: 2], readIdleStopMilliseconds: 300)
        let (busy, quiet) = (TopicPartition(topic, 0), TopicPartition(topic, 1))
        try log.append([Array("busy 0".utf8)], to: busy)
        try log.append([Array("quiet 0".utf8)], to: quiet)
        #expect(try readAll(log, busy).count == 1)
        #expect(try readAll(log, quiet).count == 1)
        #expect(log.consumingPartitionCount == 2)
        let start = MonotonicClock.milliseconds()
        while MonotonicClock.milliseconds() - start < 1_000, log.consumingPartitionCount > 1 {
            _ = try log.readArrived(busy, from: 1, limit: 10)
        }
        #expect(log.consumingPartitionCount == 1, "the partition not read for 300 ms still fetches")
        try log.append([Array("quiet 1".utf8)], to: quiet)
        let resumed = try readAll(log, quiet, from: 1)
        #expect(resumed.map(\.position) == [1])
        #expect(resumed.map { String(decoding: $0.payload, as: UTF8.self) } == ["quiet 1"])
        #expect(log.consumingPartitionCount == 2)
    }
}
