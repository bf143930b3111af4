import BatonFileLog
import BatonLog
import BatonTestSupport
import Testing

/// Removing a partition's prefix on the file log (`baton prune`): whole segments only,
/// positions unchanged, the gap visible to readers, and the result kept across a reopen.
struct PrefixRemovalTests {
    @Test func wholeSegmentsBelowTheBoundAreRemovedAndPositionsStay() throws {
        let directory = TemporaryDirectory("baton-prefix")
        defer { directory.remove() }
        let partition = TopicPartition("journal", 0)
        var random = SplitMix64(seed: 3)
        func entry() -> [UInt8] { (0..<200).map { _ in UInt8(truncatingIfNeeded: random.next()) } }
        let log = try FileLog(directory: directory.path, topics: ["journal": 1], segmentBytes: 1_000)
        for _ in 0..<40 { try log.append([entry(), entry()], to: partition) }
        let before = try log.read(partition, from: 0, limit: 1_000)
        #expect(before.count == 80)
        // A reader in another "process" (another log on the same folder) opened before.
        let other = try FileLog(directory: directory.path, topics: ["journal": 1], segmentBytes: 1_000)
        #expect(try other.read(partition, from: 0, limit: 1).first?.position == 0)

        #expect(try log.removePrefix(of: partition, below: 0) == 0)
        let planned = try log.removePrefix(of: partition, below: 31, dryRun: true)
        #expect(try log.startPosition(of: partition) == 0)
        let start = try log.removePrefix(of: partition, below: 31)
        #expect(start == planned)
        #expect(start > 0 && start <= 31, "segments hold two entries each: the start is the last segment start at or below 31")
        #expect(try log.startPosition(of: partition) == start)
        // A read below the start gets the entries from the start: the gap shows.
        #expect(try log.read(partition, from: 0, limit: 5).first?.position == start)
        #expect(try log.read(partition, from: 31, limit: 100) == Array(before[31...]))
        #expect(try other.read(partition, from: 40, limit: 100) == Array(before[40...]))

        // Reopened: the same start and end, and appends go on at the next position.
        let reopened = try FileLog(directory: directory.path, topics: ["journal": 1], segmentBytes: 1_000)
        #expect(try reopened.startPosition(of: partition) == start)
        #expect(try reopened.endPosition(of: partition) == 80)
        #expect(try reopened.append([entry()], to: partition) == 80)
        let appended = try reopened.read(partition, from: 80, limit: 1)
        #expect(appended.count == 1)
        #expect(try reopened.read(partition, from: start, limit: 1_000) == Array(before[Int(start)...]) + appended)
        // The segment being written is never removed.
        let last = try reopened.removePrefix(of: partition, below: 1_000)
        #expect(last <= 80)
        #expect(try reopened.read(partition, from: 80, limit: 1) == appended)
    }
}
