@testable import BatonFileLog
import BatonLog
import BatonStorage
import BatonTestSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Group commit on the file log (issue 9): an fsync acknowledges every write up to a
/// sequence only if it covers the segment holding the newest of them.
struct GroupCommitTests {
    /// After a roll, what must be synced for the newest write is the new segment: syncing
    /// the segment an earlier append wrote to would leave a later append, acknowledged by the
    /// same fsync, in an unsynced file.
    @Test func theDurabilityTargetFollowsTheSegmentOfTheNewestWrite() throws {
        let directory = TemporaryDirectory("baton-group-commit")
        defer { directory.remove() }
        let files = try PartitionFiles(directory: directory.path + "/p", segmentBytes: 64, repair: false)
        var random = SplitMix64(seed: 9)
        func incompressible() -> [UInt8] { (0..<100).map { _ in UInt8(truncatingIfNeeded: random.next()) } }
        _ = try files.write([incompressible()])
        let first = files.durabilityTarget
        #expect(first.sequence == 1 && first.path.hasSuffix("/00000000000000000000.log"))
        _ = try files.write([incompressible()])
        let second = files.durabilityTarget
        #expect(second.sequence == 2)
        #expect(second.path != first.path && second.path.hasSuffix("/00000000000000000001.log"), "\(second.path)")
        #expect(second.descriptor != first.descriptor)
    }

    /// Many appends racing across segment rolls: every acknowledged entry is there, in
    /// order, after reopening.
    @Test func concurrentAppendsAcrossRollsAreAllKept() async throws {
        let directory = TemporaryDirectory("baton-group-commit")
        defer { directory.remove() }
        let log = try FileLog(directory: directory.path, topics: ["t": 1], segmentBytes: 256)
        let partition = TopicPartition("t", 0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for index in 0..<100 { _ = try log.append([Array("\(writer)-\(index)".utf8)], to: partition) }
                }
            }
            try await group.waitForAll()
        }
        let reopened = try FileLog(directory: directory.path, topics: ["t": 1])
        let entries = try readAll(reopened, partition)
        #expect(entries.count == 400)
        #expect(entries.map(\.position) == Array(0..<400))
        for writer in 0..<4 {
            let own = entries.map { String(decoding: $0.payload, as: UTF8.self) }.filter { $0.hasPrefix("\(writer)-") }
            #expect(own == (0..<100).map { "\(writer)-\($0)" })
        }
    }

    /// `enqueue` writes at once (another process reads it before any fsync) and `flush()`
    /// fsyncs it, except in deferred topics, which a consumer's commit fsyncs first.
    @Test func flushSyncsEnqueuedAppendsAndCommitsSyncDeferredTopics() throws {
        let directory = TemporaryDirectory("baton-deferred-sync")
        defer { directory.remove() }
        let log = try FileLog(directory: directory.path, defaultPartitions: 2, topics: ["journal": 1], deferredSync: ["derived."])
        let journal = TopicPartition("journal", 0)
        let derived = TopicPartition("derived.tasks", 1)
        try log.enqueue([Array("step".utf8)], to: journal)
        try log.enqueue([Array("task".utf8), Array("task 2".utf8)], to: derived)
        #expect(try log.handle(journal).syncedSequence == 0)
        let other = try FileLog(directory: directory.path)
        #expect(try readAll(other, derived).map { String(decoding: $0.payload, as: UTF8.self) } == ["task", "task 2"])
        #expect(try readAll(other, journal).count == 1)

        try log.flush()
        #expect(try log.handle(journal).syncedSequence == 1)
        #expect(try log.handle(derived).syncedSequence == 0, "a deferred topic is not fsynced by flush")

        try log.commit(group: "workers", partition: derived, position: 2)
        #expect(try log.handle(derived).syncedSequence == 1, "a commit in a deferred topic fsyncs it first")
        #expect(try log.committedPosition(group: "workers", partition: derived) == 2)

        try log.appendDerived([Array("event".utf8)], keys: ["k"], to: derived)
        #expect(try log.handle(derived).syncedSequence == 1)
        try log.sync(derived)
        #expect(try log.handle(derived).syncedSequence == 2)
    }

    /// Many threads committing the same group's position at once (the gateway's concurrent
    /// requests did): every commit succeeds and the position read back is one of theirs.
    @Test func concurrentCommitsOfOnePositionAllSucceed() async throws {
        let directory = TemporaryDirectory("baton-concurrent-commits")
        defer { directory.remove() }
        let log = try FileLog(directory: directory.path, topics: ["t": 1])
        let partition = TopicPartition("t", 0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for index in 0..<40 { try log.commit(group: "g", partition: partition, position: Int64(writer * 1000 + index)) }
                }
            }
            try await group.waitForAll()
        }
        let committed = try #require(try log.committedPosition(group: "g", partition: partition))
        #expect(committed % 1000 == 39, "the last commit of one of the writers, got \(committed)")
        let other = try FileLog(directory: directory.path, topics: ["t": 1])
        let leftovers = POSIX.list(directory.path + "/.consumers/g")
        #expect(leftovers == ["t-0"], "no temporary files left: \(leftovers)")
        #expect(try other.committedPosition(group: "g", partition: partition) == committed)
    }
}

/// The fsync gate of a partition: one fsync at a time, appends that wrote while it ran wait
/// for it (or run the next one) instead of running their own, and none returns before a
/// sync covered its write.
struct SyncedSequenceTests {
    /// 16 writers of 40 appends each, every fsync taking a millisecond.
    @Test func oneFsyncAtATimeCoversEveryWriteBeforeItReturns() async throws {
        final class Tally: Sendable {
            let written = Atomic<UInt64>(0)
            let running = Atomic<Int>(0)
            let overlapped = Atomic<Bool>(false)
            let fsyncs = Atomic<Int>(0)
            let early = Atomic<Int>(0)
        }
        let durability = SyncedSequence()
        let tally = Tally()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    try await DedicatedThread.run {
                        for _ in 0..<40 {
                            let sequence = tally.written.add(1, ordering: .sequentiallyConsistent).newValue
                            try durability.sync(through: sequence) { () throws(LogError) -> UInt64 in
                                if tally.running.add(1, ordering: .sequentiallyConsistent).newValue > 1 { tally.overlapped.store(true, ordering: .relaxed) }
                                let covered = tally.written.load(ordering: .sequentiallyConsistent)
                                usleep(1_000)
                                tally.running.subtract(1, ordering: .sequentiallyConsistent)
                                tally.fsyncs.add(1, ordering: .relaxed)
                                return covered
                            }
                            if durability.value < sequence { tally.early.add(1, ordering: .relaxed) }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let (overlapped, early, fsyncs) = (tally.overlapped.load(ordering: .relaxed), tally.early.load(ordering: .relaxed), tally.fsyncs.load(ordering: .relaxed))
        #expect(!overlapped)
        #expect(early == 0)
        #expect(durability.value == 640)
        // Writers that arrive during an fsync share the next one.
        #expect(fsyncs < 640)
    }

    /// A failed fsync throws to the append that ran it and acknowledges nothing; a waiter
    /// then runs the next one itself.
    @Test func aFailedFsyncThrowsToItsRunnerAndTheNextAppendSyncsAgain() throws {
        let durability = SyncedSequence()
        #expect(throws: LogError.self) {
            try durability.sync(through: 1) { () throws(LogError) -> UInt64 in throw LogError("fsync: input/output error") }
        }
        #expect(durability.value == 0)
        var ran = false
        try durability.sync(through: 2) { () throws(LogError) -> UInt64 in
            ran = true
            return 2
        }
        #expect(ran && durability.value == 2)
        // Already covered: no fsync.
        try durability.sync(through: 1) { () throws(LogError) -> UInt64 in
            Issue.record("an fsync for a write already durable")
            return 2
        }
        durability.advance(to: 5)
        #expect(durability.value == 5)
    }
}
