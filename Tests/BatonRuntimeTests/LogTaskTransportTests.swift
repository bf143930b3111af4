import BatonFileLog
import BatonLog
import BatonModel
import BatonTestSupport
import BatonWorker
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The worker's transport on the file log: a fetch from a cooperative thread once the worker
/// holds its partitions and knows where each starts (never while the group or a committed
/// position needs the disk), and answered positions recorded in memory until a commit is due.
@Suite
struct LogTaskTransportTests {
    static func message(_ index: Int, topic: String) -> [UInt8] { TaskMessage.numbered(index, topic: topic).jsonBytes() }

    static func log(in directory: TemporaryDirectory) throws -> FileLog {
        try FileLog(directory: directory.path, topics: [Topics.journal: 1], partitionsByPrefix: [Topics.taskPrefix: 2])
    }

    @Test func aFetchWithoutWaitingNeedsTheGroupAndThePositionsKnownFirst() throws {
        let directory = TemporaryDirectory("baton-transport")
        defer { directory.remove() }
        let log = try Self.log(in: directory)
        let topic = TopicPartition(Topics.tasks("work"), 1)
        try log.append([Self.message(1, topic: "work")], to: TopicPartition(Topics.tasks("work"), 0))
        try log.append([Self.message(2, topic: "work"), Self.message(3, topic: "work")], to: topic)
        let transport = LogTaskTransport(log: log)
        #expect(try transport.fetchWithoutWaiting(topic: "work", limit: 10) == nil, "fetched before joining the group and reading the committed positions")

        #expect(try transport.fetch(topic: "work", limit: 1).map(\.taskKey) == [1])
        #expect(try transport.fetchWithoutWaiting(topic: "work", limit: 10)?.map(\.taskKey) == [2, 3])
        try log.append([Self.message(4, topic: "work")], to: topic)
        #expect(try transport.fetchWithoutWaiting(topic: "work", limit: 10)?.map(\.taskKey) == [4])
        #expect(try transport.fetchWithoutWaiting(topic: "work", limit: 10) == [])
        #expect(transport.fetchMark(topic: "work") == [0: 1, 1: 3])

        // Once the group is due a look at its members, only a blocking fetch may take it.
        usleep(300_000)
        #expect(try transport.fetchWithoutWaiting(topic: "work", limit: 10) == nil)
        try log.append([Self.message(5, topic: "work")], to: topic)
        #expect(try transport.fetch(topic: "work", limit: 10).map(\.taskKey) == [5])
        #expect(try transport.fetchWithoutWaiting(topic: "work", limit: 10) == [])
    }

    @Test func aMarkIsKeptInMemoryUntilACommitIsDueAndCommittedOnLeaving() throws {
        let directory = TemporaryDirectory("baton-transport")
        defer { directory.remove() }
        let log = try Self.log(in: directory)
        let topic = TopicPartition(Topics.tasks("work"), 0)
        let group = "baton-workers.work"
        try log.append((0..<3).map { Self.message($0, topic: "work") }, to: topic)
        let transport = LogTaskTransport(log: log, commitInterval: 60_000)
        #expect(try transport.fetch(topic: "work", limit: 1).count == 1)
        // The first mark finds no commit yet: one is due, and the blocking call makes it.
        #expect(transport.markAnswered(topic: "work", through: transport.fetchMark(topic: "work")))
        try transport.acknowledge(topic: "work", through: transport.fetchMark(topic: "work"))
        #expect(try log.committedPosition(group: group, partition: topic) == 1)

        #expect(try transport.fetch(topic: "work", limit: 10).count == 2)
        #expect(!transport.markAnswered(topic: "work", through: transport.fetchMark(topic: "work")), "a commit was due within the interval")
        #expect(try log.committedPosition(group: group, partition: topic) == 1, "marking wrote to disk")
        transport.leave()
        #expect(try log.committedPosition(group: group, partition: topic) == 3, "leaving did not commit the answered mark")
    }

    @Test func transportsWithoutThemFetchOnABlockingThreadAndCommitEveryMark() throws {
        let kafkaLike = MemoryTransport()
        #expect(try kafkaLike.fetchWithoutWaiting(topic: "work", limit: 1) == nil)
        #expect(kafkaLike.markAnswered(topic: "work", through: [0: 1]))
    }

    /// A transport that implements only what every transport must.
    final class MemoryTransport: TaskTransport {
        func fetch(topic: String, limit: Int) throws -> [TaskMessage] { [] }
        func acknowledge(topic: String) throws {}
        func send(_ commands: [Record], partition: Int32) throws {}
        func now() -> Int64 { 0 }
    }
}
