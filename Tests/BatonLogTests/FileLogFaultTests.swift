import BatonFileLog
import BatonLog
import BatonTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Torn tails, corrupt batches and the limits of the embedded log.
struct FileLogFaultTests {
    let partition = TopicPartition("journal", 0)

    func segmentPath(_ directory: TemporaryDirectory) -> String { directory.path + "/journal/0/00000000000000000000.log" }

    func fileSize(_ path: String) -> Int {
        var status = stat()
        stat(path, &status)
        return Int(status.st_size)
    }

    func fill(_ directory: TemporaryDirectory, batches: Int) throws -> [Int] {
        let log = try FileLog(directory: directory.path)
        var sizes: [Int] = []
        for batch in 0..<batches {
            try log.append([Array("batch \(batch) a".utf8), Array("batch \(batch) b".utf8)], to: partition)
            sizes.append(fileSize(segmentPath(directory)))
        }
        return sizes
    }

    @Test(arguments: [1, 7, 20])
    func tornTailIsCutOnOpen(_ cut: Int) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let sizes = try fill(directory, batches: 10)
        // A crash in the middle of writing batch 10: only part of it reached the disk.
        let descriptor = open(segmentPath(directory), O_WRONLY | O_APPEND)
        let partial = [UInt8](repeating: 0xAB, count: cut)
        _ = partial.withUnsafeBytes { write(descriptor, $0.baseAddress, cut) }
        close(descriptor)
        let reopened = try FileLog(directory: directory.path)
        #expect(try reopened.endPosition(of: partition) == 20)
        #expect(fileSize(segmentPath(directory)) == sizes.last!)
        #expect(try reopened.append([Array("after".utf8)], to: partition) == 20)
        #expect(try reopened.read(partition, from: 19, limit: 5).map { String(decoding: $0.payload, as: UTF8.self) } == ["batch 9 b", "after"])
    }

    @Test func lastBatchWithBadCRCIsATornWrite() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let sizes = try fill(directory, batches: 5)
        flipByte(segmentPath(directory), at: sizes[3] + 30)
        let reopened = try FileLog(directory: directory.path)
        #expect(try reopened.endPosition(of: partition) == 8)
    }

    @Test func corruptBatchInTheMiddleStopsWithAnErrorNamingFileAndPosition() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let sizes = try fill(directory, batches: 6)
        flipByte(segmentPath(directory), at: sizes[1] + 30)
        do {
            _ = try FileLog(directory: directory.path).endPosition(of: partition)
            Issue.record("a corrupt batch in the middle must not open silently")
        } catch {
            #expect(error.message.contains(segmentPath(directory)))
            #expect(error.message.contains("at byte \(sizes[1])"))
            #expect(error.message.contains("log position 4"))
            #expect(error.message.contains("repair"))
        }
        // Nothing was cut by the failed open.
        #expect(fileSize(segmentPath(directory)) == sizes.last!)
        // Asked to repair, the log is cut at the corrupt batch.
        let repaired = try FileLog(directory: directory.path, repair: true)
        #expect(try repaired.endPosition(of: partition) == 4)
        #expect(fileSize(segmentPath(directory)) == sizes[1])
    }

    @Test func oversizedEntriesAndEmptyBatchesAreRefused() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try FileLog(directory: directory.path)
        #expect { try log.append([], to: partition) } throws: { "\($0)".contains("at least one entry") }
        let huge = [UInt8](repeating: 1, count: (16 << 20) + 1)
        #expect { try log.append([huge], to: partition) } throws: { "\($0)".contains("limit") }
        #expect(try log.endPosition(of: partition) == 0)
    }

    @Test func corruptConsumerPositionIsReported() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try FileLog(directory: directory.path)
        try log.commit(group: "engine", partition: partition, position: 5)
        flipByte(directory.path + "/.consumers/engine/journal-0", at: 2)
        #expect { try log.committedPosition(group: "engine", partition: partition) } throws: { "\($0)".contains("CRC") }
    }

    @Test func partitionCountIsFixedWhenATopicIsCreated() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let first = try FileLog(directory: directory.path, topics: ["journal": 6])
        #expect(try first.partitionCount(of: "journal") == 6)
        let second = try FileLog(directory: directory.path, topics: ["journal": 2])
        #expect(try second.partitionCount(of: "journal") == 6)
    }

    /// Threads and processes using a new topic at the same moment all create it with one
    /// count, and none fails (seen in the end-to-end benchmark: engine and workers touched
    /// a new task topic together).
    @Test func aNewTopicUsedConcurrentlyGetsOneCount() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let first = try FileLog(directory: directory.path, defaultPartitions: 3)
        let second = try FileLog(directory: directory.path, defaultPartitions: 3)
        for round in 0..<20 {
            let counts = try await withThrowingTaskGroup(of: Int32.self) { group in
                for index in 0..<8 {
                    let log = index % 2 == 0 ? first : second
                    group.addTask { try log.partitionCount(of: "topic-\(round)") }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(counts == Array(repeating: 3, count: 8))
        }
    }

    /// A partition-count file that exists and cannot be read is an error naming it, never the
    /// configured default: a wrong count would send keys to other partitions (issue 9).
    @Test func anUnreadablePartitionCountIsAnErrorNotADefault() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let first = try FileLog(directory: directory.path, topics: ["journal": 6])
        _ = try first.append([[1]], to: TopicPartition("journal", 5))
        let file = directory.path + "/journal/partitions"
        _ = "garbage\n".withCString { text in fopen(file, "w").map { fputs(text, $0); fclose($0) } }
        let second = try FileLog(directory: directory.path, topics: ["journal": 2])
        #expect { try second.partitionCount(of: "journal") } throws: { "\($0)".contains(file) && "\($0)".contains("does not hold a partition count") }
        #expect { try second.partition(forKey: "order-1", topic: "journal") } throws: { "\($0)".contains(file) }
        #expect { try second.read(TopicPartition("journal", 5), from: 0, limit: 1) } throws: { "\($0)".contains(file) }
    }

    private func flipByte(_ path: String, at offset: Int) {
        let descriptor = open(path, O_RDWR)
        var byte: UInt8 = 0
        pread(descriptor, &byte, 1, off_t(offset))
        byte ^= 0xFF
        pwrite(descriptor, &byte, 1, off_t(offset))
        close(descriptor)
    }
}
