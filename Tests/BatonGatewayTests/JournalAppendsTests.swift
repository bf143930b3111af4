import BatonFileLog
@testable import BatonGateway
import BatonLog
import BatonModel
import BatonRuntime
import BatonTestSupport
import Dispatch
import Synchronization
import Testing

/// The gateway's group commit: commands of requests that arrive while a batch is written go
/// in together as the next batch, each request gets its own commands' positions, and a
/// failed append fails only the requests of its batch.
@Suite struct JournalAppendsTests {
    /// A file log whose appends can be held at a gate (to make requests pile up behind a
    /// write in progress) or made to fail once.
    final class GatedLog: Log, @unchecked Sendable {
        let file: FileLog
        let gate = DispatchSemaphore(value: 0)
        let held = Mutex(false)
        let failNext = Mutex(false)
        let blocked = Atomic<Int>(0)
        let appends = Atomic<Int>(0)

        init(_ file: FileLog) { self.file = file }

        func partitionCount(of topic: String) throws(LogError) -> Int32 { try file.partitionCount(of: topic) }
        func append(_ entries: [[UInt8]], to partition: TopicPartition) throws(LogError) -> Int64 {
            appends.add(1, ordering: .relaxed)
            if held.withLock({ $0 }) {
                blocked.add(1, ordering: .relaxed)
                gate.wait()
            }
            if failNext.withLock({ failing in defer { failing = false }; return failing }) { throw LogError("the disk is full") }
            return try file.append(entries, to: partition)
        }
        func read(_ partition: TopicPartition, from position: Int64, limit: Int) throws(LogError) -> [LogEntry] {
            try file.read(partition, from: position, limit: limit)
        }
        func endPosition(of partition: TopicPartition) throws(LogError) -> Int64 { try file.endPosition(of: partition) }
        func committedPosition(group: String, partition: TopicPartition) throws(LogError) -> Int64? {
            try file.committedPosition(group: group, partition: partition)
        }
        func commit(group: String, partition: TopicPartition, position: Int64) throws(LogError) {
            try file.commit(group: group, partition: partition, position: position)
        }
    }

    static func command(_ key: String) -> Record {
        .command(.cancelInstance, key: key, value: .instance(InstanceRecord(processId: "p", processVersion: 1)), timestamp: 1)
    }

    /// The key of the command at `position` of journal partition `partition`.
    static func key(at position: Int64, partition: Int32, in log: any Log) throws -> String {
        let entry = try #require(try log.read(TopicPartition(Topics.journal, partition), from: position, limit: 1).first)
        guard case .command(let record) = try JournalEntry.decode(entry, partition: partition) else { Issue.record("not a command at \(position)"); return "" }
        return record.key
    }

    static func eventually(_ condition: () -> Bool) async throws {
        for _ in 0..<20_000 where !condition() { try await Task.sleep(nanoseconds: 1_000_000) }
        #expect(condition())
    }

    /// A first request whose write is held at the log; the requests `queue` makes while it is
    /// held (`commands` in all), then every write let go. Their positions, in order.
    static func behindAHeldWrite(
        _ log: GatedLog, commands: Int, _ queue: (JournalAppends) -> [Task<Int64, any Error>]
    ) async throws -> [Int64] {
        let appends = JournalAppends(log: log)
        log.held.withLock { $0 = true }
        let first = Task { try await appends.append([Self.command("first")], partition: 0) }
        try await Self.eventually { log.blocked.load(ordering: .relaxed) == 1 }
        let queued = queue(appends)
        try await Self.eventually { appends.waitingCommands(0) == commands }
        log.held.withLock { $0 = false }
        log.gate.signal()
        #expect(try await first.value == 0)
        var positions: [Int64] = []
        for request in queued { positions.append(try await request.value) }
        return positions
    }

    @Test func requestsThatArriveDuringAWriteShareTheNextBatch() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = GatedLog(try FileLog(directory: directory.path, topics: [Topics.journal: 1]))
        // 40 requests of 1-3 commands each arrive while the first batch is being written.
        let requests = (0..<40).map { request in (0...(request % 3)).map { "r\(request)-c\($0)" } }
        let expected = requests.reduce(0) { $0 + $1.count }
        let positions = try await Self.behindAHeldWrite(log, commands: expected) { appends in
            requests.map { keys in Task { try await appends.append(keys.map(Self.command), partition: 0) } }
        }
        for (keys, start) in zip(requests, positions) {
            for (offset, key) in keys.enumerated() {
                #expect(try Self.key(at: start + Int64(offset), partition: 0, in: log) == key)
            }
        }
        // One write for the first request, one for all the others.
        #expect(log.appends.load(ordering: .relaxed) == 2)
        #expect(try log.endPosition(of: TopicPartition(Topics.journal, 0)) == Int64(1 + expected))
    }

    @Test func largeRequestsAreSpreadOverBatchesTheLogAccepts() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = GatedLog(try FileLog(directory: directory.path, topics: [Topics.journal: 1]))
        // 12 requests of 1.5 MiB each: 5 fit in a batch of at most 8 MiB, so 5, 5 and 2.
        let blob = String(repeating: "x", count: 3 << 19)
        let positions = try await Self.behindAHeldWrite(log, commands: 12) { appends in
            (0..<12).map { index in
                Task {
                    let command = Record.command(
                        .createInstance, key: "large-\(index)",
                        value: .instance(InstanceRecord(processId: "p", processVersion: 1, variables: ["blob": .string(blob)])), timestamp: 1)
                    return try await appends.append([command], partition: 0)
                }
            }
        }
        #expect(Set(positions) == Set(1...12))
        #expect(log.appends.load(ordering: .relaxed) == 4)
    }

    @Test func concurrentRequestsOnSeveralPartitionsEachGetTheirOwnPositions() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try FileLog(directory: directory.path, topics: [Topics.journal: 3])
        let appends = JournalAppends(log: log)
        let keys = (0..<300).map { "order-\($0)" }
        let placed = try await withThrowingTaskGroup(of: (String, Int32, Int64).self) { group in
            for key in keys {
                group.addTask {
                    let (partition, position) = try await appends.append(Self.command(key))
                    return (key, partition, position)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(placed.count == keys.count)
        for (key, partition, position) in placed {
            #expect(partition == Murmur2.partition(forKey: key, partitions: 3))
            #expect(try Self.key(at: position, partition: partition, in: log) == key)
        }
        let total = try (0..<3).reduce(Int64(0)) { $0 + (try log.endPosition(of: TopicPartition(Topics.journal, $1))) }
        #expect(total == Int64(keys.count))
    }

    @Test func aFailedWriteFailsItsBatchAndTheNextRequestsAreWritten() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = GatedLog(try FileLog(directory: directory.path, topics: [Topics.journal: 1]))
        let appends = JournalAppends(log: log)
        log.failNext.withLock { $0 = true }
        await #expect(throws: LogError.self) { try await appends.append([Self.command("lost")], partition: 0) }
        #expect(try log.endPosition(of: TopicPartition(Topics.journal, 0)) == 0)
        #expect(try await appends.append([Self.command("kept")], partition: 0) == 0)
        #expect(try Self.key(at: 0, partition: 0, in: log) == "kept")
        // A partition the journal does not have: the request gets the log's error.
        await #expect(throws: LogError.self) { try await appends.append([Self.command("nowhere")], partition: 7) }
    }
}
