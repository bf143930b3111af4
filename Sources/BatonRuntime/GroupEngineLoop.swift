import BatonLog
import BatonModel
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where a replica learns which journal partitions it owns (a Kafka consumer group).
public protocol PartitionOwnership: AnyObject {
    /// Partitions gained and lost since the last call.
    func poll() -> (assigned: [Int32], revoked: [Int32])
}

/// An engine replica: drives only the journal partitions its group gives it. On assignment
/// a partition is rebuilt (snapshot + tail) and the tail's waiting tasks re-published, on a
/// recovery thread while the partitions it runs already go on; on revocation it is dropped
/// after the step in flight (the loop is single-threaded, so a revocation is only seen
/// between steps), or as soon as its recovery ends.
public final class GroupEngineLoop: Sendable {
    let log: any Log
    let options: RuntimeOptions
    let clock: @Sendable () -> Int64
    let warn: @Sendable (String) -> Void
    let snapshots: @Sendable (Int32) -> (any SnapshotStorage)?
    private let stopping = Mutex(false)
    private let owned = Mutex<[Int32]>([])
    private let statistics = Mutex(EngineLoop.Statistics())

    public init(log: any Log, snapshots: @escaping @Sendable (Int32) -> (any SnapshotStorage)? = { _ in nil },
                options: RuntimeOptions = RuntimeOptions(), clock: @escaping @Sendable () -> Int64,
                warn: @escaping @Sendable (String) -> Void) {
        self.log = log
        self.snapshots = snapshots
        self.options = options
        self.clock = clock
        self.warn = warn
    }

    public func stop() { stopping.withLock { $0 = true } }
    public var partitions: [Int32] { owned.withLock { $0 } }
    public var current: EngineLoop.Statistics { statistics.withLock { $0 } }

    /// Runs until `stop()`. Blocking: call through `DedicatedThread.run`.
    public func runBlocking(ownership: some PartitionOwnership) throws {
        var processors: [Int32: PartitionProcessor] = [:]
        var idleRounds = 0
        var completed = 0
        var created = 0
        let metrics = RoundMetrics()
        var events = EventExportSchedule(log: log, options: options, warn: warn)
        var lastLag: Int64 = 0
        var journalLag: [Int32: Int64] = [:]
        let recoveries = PartitionRecoveries()
        /// The partitions the group gives this replica now (recovered or recovering).
        var given: Set<Int32> = []
        defer { recoveries.waitForAll() }
        while !stopping.withLock({ $0 }) {
            let (assigned, revoked) = ownership.poll()
            given.subtract(revoked)
            given.formUnion(assigned)
            for partition in revoked {
                if let processor = processors.removeValue(forKey: partition) {
                    do { try processor.snapshotNow() } catch { warn("no snapshot of partition \(partition) on revocation: \(error)") }
                    events.drain([processor], log: log)
                    events.forget(partition)
                    completed += processor.instancesCompleted
                    created += processor.instancesCreated
                }
            }
            for partition in assigned where processors[partition] == nil && !recoveries.isRecovering(partition) {
                let (log, snapshots, options, clock, warn) = (log, snapshots(partition), options, clock, warn)
                recoveries.start(partition) {
                    let processor = PartitionProcessor(partition: partition, log: log, snapshots: snapshots, options: options, clock: clock, warn: warn)
                    try processor.recover()
                    return processor
                }
            }
            var recovered = false
            for (partition, result) in recoveries.takeFinished() where given.contains(partition) && processors[partition] == nil {
                processors[partition] = try result.get()
                recovered = true
            }
            if recovered || !revoked.isEmpty {
                owned.withLock { $0 = processors.keys.sorted() }
                warn("now owns journal partitions \(processors.keys.sorted())")
            }
            var moved = 0
            for partition in processors.keys.sorted() { moved += try metrics.poll(processors[partition]!) }
            // One wait for every partition's appends of this round.
            try metrics.flush(log, moved: moved)
            for partition in processors.keys.sorted() { try processors[partition]!.logFlushed() }
            idleRounds = moved == 0 ? idleRounds + 1 : 0
            if idleRounds > 0 { usleep(idleRounds > 100 ? 2000 : 500) }
            var summary = EngineLoop.Statistics(processors.values)
            summary.instancesCreated += created
            summary.instancesCompleted += completed
            events.tick(processors.values, now: clock())
            if clock() - lastLag >= 1000 {
                journalLag = RoundMetrics.journalLag(log, processors.values)
                lastLag = clock()
            }
            summary.journalLag = journalLag.filter { processors[$0.key] != nil }
            statistics.withLock { $0 = summary }
        }
        events.drain(processors.values, log: log)
    }
}
