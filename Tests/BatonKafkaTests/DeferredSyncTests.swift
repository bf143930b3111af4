import BatonKafka
import BatonLog
import BatonTestSupport
import Testing

/// Task messages on Kafka are not part of the engine round's wait (`flush()`), as on the
/// file log: they are made again from the journal after a crash, and the engine syncs their
/// partitions before a snapshot covers them.
@Suite(.serialized)
struct DeferredSyncTests {
    @Test func flushLeavesDeferredTopicsToSyncAndForgetsWhatWasAcknowledged() throws {
        let prefix = KafkaBroker.freshTopic("deferred") + "."
        let log = try KafkaLog(try KafkaBroker.configuration(), topicPrefix: prefix, topics: ["journal": 1, "baton.task.pay": 2], deferredSync: ["baton.task."])
        let tasks = TopicPartition("baton.task.pay", 1)
        let journal = TopicPartition("journal", 0)
        for batch in 0..<3 { try log.enqueue([Array("task \(batch)".utf8)], to: tasks) }
        try log.enqueue([Array("step".utf8)], to: journal)
        #expect(log.unsyncedDeferredAppends == 3)
        try log.flush()
        // The step is durable once flush returns; the task messages once sync returns.
        #expect(try readAll(log, journal).map(\.payload) == [Array("step".utf8)])
        try log.sync(tasks)
        #expect(log.unsyncedDeferredAppends == 0)
        #expect(try readAll(log, tasks).map { String(decoding: $0.payload, as: UTF8.self) } == ["task 0", "task 1", "task 2"])

        // Without a sync (no snapshot store), later flushes forget the acknowledged ones.
        for batch in 3..<5 { try log.enqueue([Array("task \(batch)".utf8)], to: tasks) }
        #expect(log.unsyncedDeferredAppends == 2)
        let start = MonotonicClock.milliseconds()
        while log.unsyncedDeferredAppends > 0, MonotonicClock.milliseconds() - start < 10_000 {
            try log.flush()
            usleep(5_000)
        }
        #expect(log.unsyncedDeferredAppends == 0)
        #expect(try readAll(log, tasks).count == 5)
    }
}

#if canImport(Glibc)
import Glibc
#endif
