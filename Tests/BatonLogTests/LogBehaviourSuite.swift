import BatonModel
import BatonFileLog
import BatonKafka
import BatonLog
import BatonTestSupport
import Testing

/// The behaviour every log backend must show (DESIGN.md §6). Each test runs against every
/// backend; a new backend joins by adding a case to `Backend`.
struct LogBehaviourSuite {
    enum Backend: String, CaseIterable, Sendable, CustomStringConvertible {
        case memory, file, kafka
        var description: String { rawValue }
    }

    /// A log of the backend plus a way to open the same log again (a restart).
    final class Subject: @unchecked Sendable {
        let backend: Backend
        let directory: TemporaryDirectory?
        private(set) var log: any Log
        let memory: MemoryLog?
        /// Kafka: the topic prefix that keeps this test's topics apart on the shared broker.
        let kafkaPrefix: String?

        init(_ backend: Backend) throws {
            self.backend = backend
            switch backend {
            case .memory:
                let memory = MemoryLog(defaultPartitions: 1, topics: ["journal": 4])
                self.memory = memory
                directory = nil
                kafkaPrefix = nil
                log = memory
            case .file:
                let directory = TemporaryDirectory("baton-log")
                self.directory = directory
                memory = nil
                kafkaPrefix = nil
                log = try FileLog(directory: directory.path, topics: ["journal": 4], segmentBytes: 4096)
            case .kafka:
                let prefix = KafkaBroker.freshTopic("suite") + "."
                kafkaPrefix = prefix
                memory = nil
                directory = nil
                log = try KafkaLog(try KafkaBroker.configuration(), topicPrefix: prefix, topics: ["journal": 4])
            }
        }

        /// Reopens the log as a restarted process would (the in-memory log keeps its object).
        func restart() throws {
            if let directory { log = try FileLog(directory: directory.path, topics: ["journal": 4], segmentBytes: 4096) }
            if let kafkaPrefix { log = try KafkaLog(try KafkaBroker.configuration(), topicPrefix: kafkaPrefix, topics: ["journal": 4]) }
        }

        /// A second, independent client of the same log (another process, for the file log).
        func secondClient() throws -> any Log {
            if let directory { return try FileLog(directory: directory.path, topics: ["journal": 4], segmentBytes: 4096) }
            if let kafkaPrefix { return try KafkaLog(try KafkaBroker.configuration(), topicPrefix: kafkaPrefix, topics: ["journal": 4]) }
            return log
        }

        deinit { directory?.remove() }
    }

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test(arguments: Backend.allCases)
    func appendAssignsDensePositionsAndReadReturnsThemInOrder(_ backend: Backend) throws {
        let subject = try Subject(backend)
        let journal = TopicPartition("journal", 2)
        #expect(try subject.log.endPosition(of: journal) == 0)
        #expect(try subject.log.append([bytes("a"), bytes("b")], to: journal) == 0)
        #expect(try subject.log.append([bytes("c")], to: journal) == 2)
        #expect(try subject.log.endPosition(of: journal) == 3)
        let entries = try subject.log.read(journal, from: 0, limit: 10)
        #expect(entries.map(\.position) == [0, 1, 2])
        #expect(entries.map(\.payload) == [bytes("a"), bytes("b"), bytes("c")])
        #expect(try subject.log.read(journal, from: 1, limit: 1).map(\.payload) == [bytes("b")])
        #expect(try subject.log.read(journal, from: 3, limit: 10).isEmpty)
        // Partitions are independent.
        #expect(try subject.log.endPosition(of: TopicPartition("journal", 0)) == 0)
    }

    @Test(arguments: Backend.allCases)
    func manyBatchesAcrossSegmentsReadBackFromAnyPosition(_ backend: Backend) throws {
        let subject = try Subject(backend)
        let partition = TopicPartition("journal", 1)
        var expected: [[UInt8]] = []
        for batch in 0..<200 {
            let entries = (0..<(1 + batch % 5)).map { bytes("batch \(batch) entry \($0) " + String(repeating: "x", count: batch % 50)) }
            #expect(try subject.log.append(entries, to: partition) == Int64(expected.count))
            expected.append(contentsOf: entries)
        }
        for start in [0, 1, 57, 299, expected.count - 1] {
            let read = try readAll(subject.log, partition, from: Int64(start))
            #expect(read.map(\.payload) == Array(expected[start...]))
            #expect(read.first?.position == Int64(start))
            let limited = try subject.log.read(partition, from: Int64(start), limit: 25)
            #expect(limited.count <= 25 && limited.map(\.payload) == Array(expected[start..<start + limited.count]))
        }
    }

    @Test(arguments: Backend.allCases)
    func everythingSurvivesARestart(_ backend: Backend) throws {
        let subject = try Subject(backend)
        let partition = TopicPartition("journal", 3)
        for index in 0..<50 { try subject.log.append([bytes("entry \(index)")], to: partition) }
        try subject.log.commit(group: "engine", partition: partition, position: 42)
        try subject.restart()
        #expect(try subject.log.endPosition(of: partition) == 50)
        #expect(try subject.log.read(partition, from: 49, limit: 5).map(\.payload) == [bytes("entry 49")])
        #expect(try subject.log.committedPosition(group: "engine", partition: partition) == 42)
        #expect(try subject.log.append([bytes("after restart")], to: partition) == 50)
    }

    @Test(arguments: Backend.allCases)
    func consumerPositionsArePerGroupAndPartition(_ backend: Backend) throws {
        let subject = try Subject(backend)
        let a = TopicPartition("journal", 0)
        let b = TopicPartition("journal", 1)
        #expect(try subject.log.committedPosition(group: "engine", partition: a) == nil)
        try subject.log.commit(group: "engine", partition: a, position: 7)
        try subject.log.commit(group: "workers", partition: a, position: 3)
        try subject.log.commit(group: "engine", partition: b, position: 1)
        try subject.log.commit(group: "engine", partition: a, position: 9)
        #expect(try subject.log.committedPosition(group: "engine", partition: a) == 9)
        #expect(try subject.log.committedPosition(group: "workers", partition: a) == 3)
        #expect(try subject.log.committedPosition(group: "engine", partition: b) == 1)
    }

    @Test(arguments: Backend.allCases)
    func partitionMappingIsMurmur2AndUnknownPartitionsAreRefused(_ backend: Backend) throws {
        let subject = try Subject(backend)
        #expect(try subject.log.partitionCount(of: "journal") == 4)
        #expect(try subject.log.partitionCount(of: "deployments") == 1)
        for key in ["order-1", "order-2", "21", "foobar"] {
            #expect(try subject.log.partition(forKey: key, topic: "journal") == Murmur2.partition(forKey: key, partitions: 4))
        }
        #expect(throws: LogError.self) { try subject.log.append([bytes("x")], to: TopicPartition("journal", 4)) }
        #expect(throws: LogError.self) { try subject.log.read(TopicPartition("journal", -1), from: 0, limit: 1) }
    }

    /// Appends from many threads at once each learn where their own entries landed (on
    /// Kafka, one waiter takes the producer's delivery reports for all and hands them out).
    @Test(arguments: Backend.allCases)
    func appendersOnManyThreadsEachLearnTheirOwnPositions(_ backend: Backend) async throws {
        let subject = try Subject(backend)
        let log = subject.log
        let positions = try await withThrowingTaskGroup(of: [(Int64, String)].self) { group in
            for writer in 0..<8 {
                group.addTask {
                    try await DedicatedThread.run {
                        try (0..<40).map { index in
                            let text = "w\(writer) i\(index)"
                            let partition = TopicPartition("journal", Int32((writer + index) % 2))
                            return (try log.append([Array(text.utf8)], to: partition), text)
                        }
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(positions.count == 320)
        var written: [String: String] = [:]
        for partition in Int32(0)..<2 {
            for entry in try readAll(log, TopicPartition("journal", partition)) {
                written["\(partition)@\(entry.position)"] = String(decoding: entry.payload, as: UTF8.self)
            }
        }
        #expect(written.count == 320)
        for (position, text) in positions {
            let index = Int(text.split(separator: "i").last!)!, writer = Int(text.dropFirst().split(separator: " ")[0])!
            #expect(written["\((writer + index) % 2)@\(position)"] == text, "\(text) was told position \(position)")
        }
    }

    /// `readArrived` (the engine's rounds) gives what has arrived, in order and without
    /// gaps, and nothing once everything was read.
    @Test(arguments: Backend.allCases)
    func readArrivedGivesEverythingInOrder(_ backend: Backend) throws {
        let subject = try Subject(backend)
        let partition = TopicPartition("journal", 1)
        for batch in 0..<5 {
            try subject.log.append((0..<10).map { bytes("b\(batch) e\($0)") }, to: partition)
        }
        var entries: [LogEntry] = []
        for _ in 0..<2_000 where entries.count < 50 {
            entries += try subject.log.readArrived(partition, from: Int64(entries.count), limit: 7)
        }
        #expect(entries.map(\.position) == Array(0..<50))
        #expect(entries.map { String(decoding: $0.payload, as: UTF8.self) } == (0..<5).flatMap { batch in (0..<10).map { "b\(batch) e\($0)" } })
        #expect(try subject.log.readArrived(partition, from: 50, limit: 7).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func concurrentAppendersNeverInterleaveInsideABatch(_ backend: Backend) async throws {
        let subject = try Subject(backend)
        let partition = TopicPartition("journal", 0)
        let log = subject.log
        // For the file log, a second FileLog on the same directory takes the place of a
        // second process: flock excludes separate open files just as it excludes processes.
        let second = try subject.secondClient()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                let target = writer % 2 == 0 ? log : second
                group.addTask {
                    for batch in 0..<50 {
                        let entries = (0..<3).map { Array("w\(writer) b\(batch) e\($0)".utf8) }
                        _ = try target.append(entries, to: partition)
                    }
                }
            }
            try await group.waitForAll()
        }
        let entries = try readAll(log, partition)
        #expect(entries.count == 600)
        #expect(try readAll(second, partition).map(\.payload) == entries.map(\.payload))
        for start in stride(from: 0, to: 600, by: 3) {
            let batch = entries[start..<start + 3].map { String(decoding: $0.payload, as: UTF8.self) }
            let prefix = batch[0].dropLast(2)
            #expect(batch == ["\(prefix)e0", "\(prefix)e1", "\(prefix)e2"])
        }
    }
}
