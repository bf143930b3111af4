import BatonEngine
import BatonLog
import BatonModel
@testable import BatonRuntime
import BatonTestSupport
import Testing

/// Snapshots on a topic split into chunks no larger than a message may be: reassembled,
/// alternating key sets, a torn write and a damaged chunk falling back to the older one,
/// and a single-entry snapshot of an earlier Baton still loading.
struct SnapshotChunkTests {
    /// A partition with `count` orders waiting at their first task.
    func waitingOrders(_ count: Int) async throws -> (state: EngineState, registry: ProcessRegistry) {
        let harness = try RuntimeHarness(log: MemoryLog())
        try harness.deploy(RuntimeTests.order)
        for index in 0..<count {
            try harness.start("order-process", correlationId: "order-\(index)", variables: ["order": .object(["total": .number(Double(index))])])
        }
        try await harness.settle()
        let processor = harness.processors[0]
        #expect(processor.engine.state.instances.count == count)
        return (processor.engine.state, processor.catalog.registry)
    }

    func entries(_ log: MemoryLog) throws -> [LogEntry] {
        try log.read(TopicPartition(Topics.snapshots, 0), from: 0, limit: 10_000)
    }

    @Test func aSnapshotLargerThanAMessageIsWrittenInChunksAndReadBack() async throws {
        let (state, registry) = try await waitingOrders(200)
        let whole = SnapshotFormat.encode(state, cursor: 7, processes: registry).count
        let log = MemoryLog()
        let store = LogSnapshotStore(log: log, partition: 0, maximumBytes: 1_000)
        try store.write(state, cursor: 7, processes: registry)
        let written = try entries(log)
        #expect(written.count == (whole + 975 - 1) / 975)
        #expect(written.allSatisfy { $0.payload.count <= 1_000 })
        let loaded = try #require(store.loadNewest(processes: registry) { Issue.record("unexpected warning: \($0)") })
        #expect(loaded.cursor == 7)
        #expect(loaded.state == state)

        // The next snapshot uses the other key set, and is the one loaded.
        try store.write(state, cursor: 9, processes: registry)
        let sets = Set(try entries(log).map { $0.payload[SnapshotChunk.headerBytes - 1] })
        #expect(sets == [0, 1])
        #expect(store.loadNewest(processes: registry) { _ in }?.cursor == 9)
    }

    @Test func aTornOrDamagedSnapshotFallsBackToTheOlderOne() async throws {
        let (state, registry) = try await waitingOrders(100)
        let log = MemoryLog()
        let store = LogSnapshotStore(log: log, partition: 0, maximumBytes: 1_000)
        try store.write(state, cursor: 5, processes: registry)
        let newer = SnapshotChunk.split(SnapshotFormat.encode(state, cursor: 8, processes: registry), cursor: 8, set: 1, partSize: 975)
        #expect(newer.count > 2)
        let target = TopicPartition(Topics.snapshots, 0)

        // A crash in the middle of writing the newer one: only its first chunks are there.
        try log.append(Array(newer.prefix(2)), to: target)
        #expect(store.loadNewest(processes: registry) { Issue.record("unexpected warning: \($0)") }?.cursor == 5)

        // All its chunks, one of them damaged: named unusable, the older one is used.
        var damaged = newer
        damaged[1][SnapshotChunk.headerBytes + 10] ^= 0xFF
        try log.append(damaged, to: target)
        var warnings: [String] = []
        #expect(store.loadNewest(processes: registry) { warnings.append($0) }?.cursor == 5)
        #expect(warnings.count == 1 && warnings[0].contains("unusable") && warnings[0].contains("CRC"))
    }

    @Test func aSingleEntrySnapshotOfAnEarlierBatonStillLoads() async throws {
        let (state, registry) = try await waitingOrders(10)
        let log = MemoryLog()
        try log.append([SnapshotFormat.encode(state, cursor: 3, processes: registry)], to: TopicPartition(Topics.snapshots, 0))
        let store = LogSnapshotStore(log: log, partition: 0)
        let loaded = try #require(store.loadNewest(processes: registry) { Issue.record("unexpected warning: \($0)") })
        #expect(loaded.cursor == 3 && loaded.state == state)
        try store.write(state, cursor: 4, processes: registry)
        #expect(store.loadNewest(processes: registry) { _ in }?.cursor == 4)
    }
}

/// A large snapshot's instances are decoded on a second thread while the state is built:
/// the same state as one thread builds, and a damaged instance is an error, not a hang.
struct SnapshotDecodingTests {
    @Test func decodingOnTwoThreadsBuildsTheSameState() async throws {
        let (state, registry) = try await SnapshotChunkTests().waitingOrders(300)
        let bytes = state.snapshotBytes(processes: registry)
        let pipelined = try SnapshotDecoding.state(from: bytes, processes: registry, pipelinedFrom: 1, batchSize: 7)
        #expect(pipelined == state)
        #expect(pipelined == (try EngineState.fromSnapshot(bytes, processes: registry)))

        var damaged = bytes
        damaged.removeLast(damaged.count / 2)
        #expect(throws: DecodingError.self) { try SnapshotDecoding.state(from: damaged, processes: registry, pipelinedFrom: 1, batchSize: 7) }
    }
}
