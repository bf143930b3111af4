@testable import BatonFileLog
import BatonLog
import BatonStorage
import BatonTestSupport
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
