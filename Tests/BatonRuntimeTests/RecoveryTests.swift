@testable import BatonEngine
import BatonFileLog
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonTestSupport
import BatonWorker
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Restarts on the embedded file log: snapshots, replay of the tail, re-published tasks,
/// timers after a restart, a corrupt snapshot, a step written twice.
struct RecoveryTests {
    static let timerProcess = """
        <bpmn:startEvent id="s"/>
        <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT10M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
        <bpmn:serviceTask id="after"><bpmn:extensionElements><zeebe:taskDefinition type="after"/></bpmn:extensionElements></bpmn:serviceTask>
        <bpmn:endEvent id="e"/>
        <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/><bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="after"/>
        <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="e"/>
        """

    func openLog(_ directory: TemporaryDirectory) throws -> FileLog {
        try FileLog(directory: directory.path + "/log", topics: [Topics.journal: 2])
    }

    func state(_ harness: RuntimeHarness) -> [EngineState] { harness.processors.map(\.engine.state) }

    /// The order process on the file log with snapshots, 20 orders validated and waiting at
    /// reserve and charge (no worker for those).
    func twentyOrdersWaiting(_ directory: TemporaryDirectory, options: RuntimeOptions) async throws -> RuntimeHarness {
        let harness = try RuntimeHarness(log: try openLog(directory), snapshotDirectory: directory.path + "/snapshots", options: options)
        try harness.deploy(RuntimeTests.order)
        harness.worker.subscribe(topic: "validate-order") { _ in .complete() }
        for index in 0..<20 { try harness.start("order-process", correlationId: "order-\(index)", variables: ["order": .object(["total": .number(5)])]) }
        try await harness.settle()
        return harness
    }

    @Test func restartRebuildsStateAndRepublishesWaitingTasks() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var options = RuntimeOptions()
        options.snapshotEveryEntries = 15
        let first = try await twentyOrdersWaiting(directory, options: options)
        let before = state(first)
        #expect(before.map(\.instances.count).reduce(0, +) == 20)
        #expect(!TestFiles.listing(directory.path + "/snapshots/journal-0", suffix: ".snapshot").isEmpty)

        // A snapshot of everything, as a graceful shutdown writes.
        for processor in first.processors { try processor.snapshotNow() }

        // A new process on the same files: snapshot plus tail gives the same state, and
        // no task is published again: every step is under the snapshot, whose task
        // messages were durable before it was written.
        let second = try RuntimeHarness(log: try openLog(directory), snapshotDirectory: directory.path + "/snapshots", options: options)
        #expect(state(second) == before)
        let reserve = TopicPartition(Topics.tasks("reserve-inventory"), 0)
        #expect(try second.log.endPosition(of: reserve) == 20)
        // Without snapshots the whole journal is the replayed tail: every task still
        // waiting (reserve, for each order) is published again, once.
        let third = try RuntimeHarness(log: try openLog(directory), options: options)
        #expect(state(third) == before)
        #expect(try third.log.endPosition(of: reserve) == 40)
        RuntimeTests().subscribeOrderWorkers(second.worker)
        try await second.settle()
        #expect(second.activeInstances == 0)
        let events = try second.journalEvents()
        #expect(events.filter { $0.intent == .instanceCompleted }.count == 20)
        // Tasks published more than once were answered each time; the engine took each once.
        #expect(events.filter { $0.intent == .taskCompleted }.count == 20 * 5)
        var left: Set<Int64> = []
        for case .element(let value) in events.filter({ $0.intent == .elementCompleted || $0.intent == .elementTerminated }).map(\.value) {
            #expect(left.insert(value.elementInstanceKey).inserted)
        }
    }

    /// The journal's prefix under the oldest snapshot removed (`baton prune`): recovery from
    /// the snapshot gives the same state and goes on; a replica without the snapshot halts
    /// the partition naming the missing positions instead of folding what is left.
    @Test func aPrunedJournalRecoversFromItsSnapshotAndAFoldWithoutOneStopsAtTheGap() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        func smallSegments() throws -> FileLog {
            try FileLog(directory: directory.path + "/log", topics: [Topics.journal: 1], segmentBytes: 2_000)
        }
        let snapshots = directory.path + "/snapshots"
        let first = try RuntimeHarness(log: try smallSegments(), snapshotDirectory: snapshots)
        try first.deploy(RuntimeTests.order)
        first.worker.subscribe(topic: "validate-order") { _ in .complete() }
        for index in 0..<30 { try first.start("order-process", correlationId: "order-\(index)", variables: ["order": .object(["total": .number(5)])]) }
        try await first.settle()
        try first.processors[0].snapshotNow()
        let before = state(first)
        let journal = TopicPartition(Topics.journal, 0)
        let log = try smallSegments()
        let cursor = try #require(SnapshotStore(directory: snapshots + "/journal-0").loadAll(processes: first.processors[0].catalog.registry) { _ in }.map(\.cursor).min())
        let start = try log.removePrefix(of: journal, below: cursor)
        #expect(start > 0 && start <= cursor)

        let second = try RuntimeHarness(log: try smallSegments(), snapshotDirectory: snapshots)
        #expect(state(second) == before)
        #expect(second.processors[0].halted == nil)
        RuntimeTests().subscribeOrderWorkers(second.worker)
        try await second.settle()
        #expect(second.activeInstances == 0)

        let blind = try RuntimeHarness(log: try smallSegments())
        let halted = try #require(blind.processors[0].halted)
        #expect(halted.position == 0 && halted.missingUpTo == start)
        #expect(halted.description.contains("entries 0..<\(start) are no longer in the log"))
        #expect(blind.activeInstances == 0)
    }

    /// `baton replay --verify`: the journal folded up to each kept snapshot gives the state
    /// the engine wrote there; a snapshot made to differ is reported with the instance and
    /// what differs, and the command fails.
    @Test func replayVerifyFindsASnapshotThatDiffersFromTheJournal() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var options = RuntimeOptions()
        options.snapshotEveryEntries = 15
        let harness = try await twentyOrdersWaiting(directory, options: options)
        for processor in harness.processors { try processor.snapshotNow() }
        let cli = CommandLineTests()
        let clean = cli.baton("replay --verify --data-dir '\(directory.path)'")
        #expect(clean.status == 0, "\(clean.output)")
        #expect(clean.output.ranges(of: "matches the journal folded up to it").count >= 2, "\(clean.output)")

        // The newest snapshot of partition 0 with one variable the journal never set.
        let folder = directory.path + "/snapshots/journal-0"
        let newest = try #require(TestFiles.listing(folder, suffix: ".snapshot").sorted().last)
        let registry = harness.processors[0].catalog.registry
        var (state, cursor) = try SnapshotFormat.decode(try POSIX.readFile(folder + "/" + newest), processes: registry)
        let key = try #require(state.instances.keys.sorted().first)
        state.instances[key]!.variables["tampered"] = .bool(true)
        try POSIX.writeAtomically(SnapshotFormat.encode(state, cursor: cursor, processes: registry), to: folder + "/" + newest, directory: folder)
        let found = cli.baton("replay --verify --data-dir '\(directory.path)' --partition 0")
        #expect(found.status == 1, "\(found.output)")
        #expect(found.output.contains("DIFFERS from the journal folded up to it"), "\(found.output)")
        #expect(found.output.contains("instance \(key) (\(state.instances[key]!.correlationId), process 'order-process' version 1): variables differ: tampered"), "\(found.output)")
    }

    @Test func timersFireAfterARestart() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let first = try RuntimeHarness(log: try openLog(directory))
        try first.log.append(
            [Deployment(fileName: "timer.bpmn", bpmn: bpmnDocument(Self.timerProcess)).encoded], to: TopicPartition(Topics.deployments, 0))
        try first.start("p", correlationId: "t-1")
        try await first.settle()
        #expect(first.processors.flatMap { $0.engine.state.instances.values.flatMap(\.timers.values) }.count == 1)

        let second = try RuntimeHarness(log: try openLog(directory))
        second.clock.advance(10 * 60_000)
        second.worker.subscribe(topic: "after") { _ in .complete() }
        try await second.settle()
        #expect(second.activeInstances == 0)
        #expect(try second.journalEvents().contains { $0.intent == .timerTriggered })
    }

    @Test func aCorruptNewestSnapshotFallsBackToTheOlderOne() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var options = RuntimeOptions()
        options.snapshotEveryEntries = 1
        let first = try RuntimeHarness(log: try openLog(directory), snapshotDirectory: directory.path + "/snapshots", options: options)
        try first.deploy(RuntimeTests.order)
        for index in 0..<6 { try first.start("order-process", correlationId: "order-\(index)") }
        try await first.settle()
        let validate = first.worker
        validate.subscribe(topic: "validate-order") { _ in .complete() }
        try await first.settle()
        let before = state(first)
        let folder = directory.path + "/snapshots/journal-0"
        let names = TestFiles.listing(folder, suffix: ".snapshot")
        #expect(names.count == 2)
        let newest = folder + "/" + names.last!
        let handle = open(newest, O_RDWR)
        var byte: UInt8 = 0x5A
        pwrite(handle, &byte, 1, 30)
        close(handle)
        let warnings = WarningSink()
        let store = SnapshotStore(directory: folder)
        var catalog = DeploymentCatalog()
        try catalog.refresh(from: try openLog(directory))
        let loaded = store.loadNewest(processes: catalog.registry, warn: { warnings.add($0) })
        #expect(loaded != nil)
        #expect(loaded.map { "\($0.cursor).snapshot" }.map { names.first!.hasSuffix($0) } == true)
        #expect(warnings.all.first?.contains(newest) == true)
        let second = try RuntimeHarness(log: try openLog(directory), snapshotDirectory: directory.path + "/snapshots", options: options)
        #expect(state(second) == before)
    }

    @Test func aStepWrittenTwiceIsAppliedOnce() async throws {
        let log = MemoryLog(defaultPartitions: 1, topics: [Topics.journal: 1])
        let first = try RuntimeHarness(log: log)
        try first.deploy(RuntimeTests.order)
        try first.start("order-process", correlationId: "order-1")
        try await first.settle()
        // A zombie replica appends the same step again (and a stale copy later still).
        let journal = TopicPartition(Topics.journal, 0)
        let steps = try log.read(journal, from: 0, limit: 100).filter { $0.payload.first == 0x53 }
        try log.append(steps.map(\.payload), to: journal)
        let replica = try RuntimeHarness(log: log)
        #expect(replica.processors[0].engine.state == first.processors[0].engine.state)
        #expect(replica.processors[0].engine.state.instances.values.first?.tasks.count == 1)
    }
}

/// Collects warnings from the code under test.
final class WarningSink: Sendable {
    private let lines = Mutex<[String]>([])
    func add(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}
