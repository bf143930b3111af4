import BatonKafka
import BatonLog
import BatonModel
import BatonTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A worker's fetch round that was still being answered when its partition went to another
/// member must not commit that partition when it ends: the broker takes any member's commit,
/// and the group's offset would go back behind what the partition's new holder committed
/// (its tasks then delivered and run again). Nor after the partition has come back.
@Suite(.serialized)
struct TaskRebalanceTests {
    static let topic = "work"

    static func message(_ index: Int) -> [UInt8] { TaskMessage.numbered(index, topic: topic).jsonBytes() }

    /// Fetches with every member (each must poll for a rebalance to finish) until `done`.
    static func fetch(_ members: [KafkaTaskTransport], until done: () throws -> Bool) throws -> Bool {
        let deadline = MonotonicClock.milliseconds() + 90_000
        while MonotonicClock.milliseconds() < deadline {
            for member in members { _ = try member.fetch(topic: topic, limit: 100) }
            if try done() { return true }
        }
        return false
    }

    /// Eager assignment (librdkafka's default, every partition given again at a rebalance) and
    /// cooperative (only the partitions that move), which a user may choose with -X.
    @Test(arguments: ["range", "cooperative-sticky"])
    func aRoundFromBeforeARebalanceCommitsNoPartitionTakenAway(_ strategy: String) throws {
        let prefix = KafkaBroker.freshTopic("rebalance") + "."
        let address = try #require(KafkaBroker.address, "\(KafkaBroker.notConfigured)")
        let configuration = KafkaConfiguration(
            bootstrapServers: address, overrides: ["socket.timeout.ms": "10000", "partition.assignment.strategy": strategy])
        let log = try KafkaLog(configuration, topicPrefix: prefix, topics: [Topics.journal: 1, Topics.tasks(Self.topic): 2])
        let partitions = [TopicPartition(Topics.tasks(Self.topic), 0), TopicPartition(Topics.tasks(Self.topic), 1)]
        for partition in partitions { try log.append((0..<10).map(Self.message), to: partition) }
        let group = "baton-workers." + Self.topic
        func committed(_ partition: Int32) throws -> Int64? { try log.committedPosition(group: group, partition: partitions[Int(partition)]) }

        // The first member takes both partitions and fetches everything; its round stays open.
        let first = KafkaTaskTransport(log: log, clock: WallClock.now)
        #expect(try Self.fetch([first]) { first.fetchMark(topic: Self.topic) == [0: 10, 1: 10] })
        let staleRound = first.fetchMark(topic: Self.topic)

        // A second member joins: one partition moves to it, and it answers on to offset 15.
        let second = KafkaTaskTransport(log: log, clock: WallClock.now)
        #expect(try Self.fetch([first, second]) { second.fetchMark(topic: Self.topic).count == 1 }, "the group never gave the second member a partition")
        let moved = try #require(second.fetchMark(topic: Self.topic).keys.first)
        try log.append((10..<15).map(Self.message), to: partitions[Int(moved)])
        #expect(try Self.fetch([first, second]) { second.fetchMark(topic: Self.topic)[moved] == 15 })
        try second.acknowledge(topic: Self.topic, through: second.fetchMark(topic: Self.topic))
        #expect(try committed(moved) == 15)

        // The first member's old round ends: it commits nothing of the partition it lost.
        // (Nor, under eager assignment, of the one it kept: a rebalance takes every partition
        // away and gives them again, and a commit left out only means tasks delivered again.)
        try first.acknowledge(topic: Self.topic, through: staleRound)
        #expect(try committed(moved) == 15, "the old round moved the group back on the partition it lost")

        // The second member leaves; the partition comes back, and the old round still cannot
        // commit it, while a round fetched since can.
        second.leave()
        try log.append((15..<17).map(Self.message), to: partitions[Int(moved)])
        #expect(try Self.fetch([first]) { first.fetchMark(topic: Self.topic)[moved] == 17 }, "the partition did not come back")
        try first.acknowledge(topic: Self.topic, through: staleRound)
        #expect(try committed(moved) == 15, "the old round moved the group back after the partition came back")
        try first.acknowledge(topic: Self.topic, through: first.fetchMark(topic: Self.topic))
        #expect(try committed(moved) == 17)
        first.leave()
    }
}
