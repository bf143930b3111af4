import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonTestSupport
import BatonWorker
import Synchronization

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let time = Mutex<Int64>(1_800_000_000_000)
    func now() -> Int64 { time.withLock { $0 } }
    func advance(_ milliseconds: Int64) { time.withLock { $0 += milliseconds } }
}

/// Engine partitions and a worker over one log, driven step by step.
struct RuntimeHarness {
    let log: any Log
    let clock = ManualClock()
    var processors: [PartitionProcessor] = []
    let worker: Worker
    let commands: CommandWriter
    let snapshotDirectory: String?

    /// - Parameters:
    ///   - snapshotDirectory: snapshots as files there.
    ///   - snapshotsInLog: snapshots on the log's snapshots topic instead.
    init(log: any Log, snapshotDirectory: String? = nil, snapshotsInLog: Bool = false, options: RuntimeOptions = RuntimeOptions()) throws {
        self.log = log
        self.snapshotDirectory = snapshotDirectory
        let clock = clock
        commands = CommandWriter(log: log)
        worker = Worker(transport: LogTaskTransport(log: log, clock: { clock.now() }), workerId: "test-worker")
        for partition in try 0..<log.partitionCount(of: Topics.journal) {
            let store: (any SnapshotStorage)? = snapshotsInLog
                ? LogSnapshotStore(log: log, partition: partition)
                : snapshotDirectory.map { SnapshotStore(directory: "\($0)/journal-\(partition)") }
            let processor = PartitionProcessor(partition: partition, log: log, snapshots: store, options: options, clock: { clock.now() })
            try processor.recover()
            processors.append(processor)
        }
    }

    /// Deploys a file; returns the deployments position a createInstance of it names.
    @discardableResult
    func deploy(_ file: String) throws -> Int64 {
        try DeploymentCatalog.deploy(try POSIX.readFile(file), fileName: file, to: log).deploymentsEnd
    }

    /// Appends a createInstance; `deployments` is the deployments position it names (-1:
    /// none, so a replica decides on what it has read).
    func start(_ processId: String, version: Int32 = 1, correlationId: String, variables: [String: JSONValue] = [:], deployments: Int64 = -1) throws {
        try commands.append(.command(
            .createInstance, key: correlationId,
            value: .instance(InstanceRecord(
                processId: processId, processVersion: version, variables: variables,
                deploymentPosition: deployments)),
            timestamp: clock.now()))
    }

    /// Polls engines and worker until nothing moves (or `rounds` run out).
    func settle(rounds: Int = 200) async throws {
        for _ in 0..<rounds {
            var moved = 0
            for processor in processors { moved += try processor.poll() }
            try log.flush()
            for processor in processors { try processor.logFlushed() }
            moved += try await worker.poll()
            if moved == 0 { return }
        }
    }

    /// Settles again until `done` holds or `seconds` pass: a Kafka read may come back empty
    /// before the broker delivers what was appended, which ends a `settle` early.
    func settle(until done: () -> Bool, seconds: Double = 20) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        // At least 200 rounds however long they take: while the rest of the suite holds the
        // cooperative threads, the deadline can pass with this harness having had few turns.
        var rounds = 0
        repeat {
            try await settle()
            if done() { return }
            rounds += 1
            try await Task.sleep(for: .milliseconds(20))
        } while ContinuousClock.now < deadline || rounds < 200
    }

    var activeInstances: Int { processors.map(\.engine.state.instances.count).reduce(0, +) }

    /// Every event of the journal, decoded, per partition.
    func journalEvents() throws -> [Record] {
        var events: [Record] = []
        for partition in try 0..<log.partitionCount(of: Topics.journal) {
            let entries = try log.read(TopicPartition(Topics.journal, partition), from: 0, limit: 1_000_000)
            for entry in entries {
                if case .step(let step) = try JournalEntry.decode(entry, partition: partition) {
                    events.append(contentsOf: step.records.filter { $0.recordType == .event })
                }
            }
        }
        return events
    }
}

#if canImport(Glibc)
import Glibc
#endif
