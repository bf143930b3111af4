@testable import BatonFileLog
import BatonLog
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
}
