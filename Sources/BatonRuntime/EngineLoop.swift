import BatonLog
import BatonModel
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Drives every journal partition of this process on one dedicated thread: recover, then
/// poll round-robin; when nothing moved, sleep a millisecond (so commands appended by other
/// processes are picked up within milliseconds). `stop()` ends the loop after the step in
/// flight, with a snapshot of each partition.
public final class EngineLoop: Sendable {
    public let log: any Log
    let options: RuntimeOptions
    let snapshots: @Sendable (Int32) -> (any SnapshotStorage)?
    let clock: @Sendable () -> Int64
    let warn: @Sendable (String) -> Void
    private let stopping = Mutex(false)
    private let statistics = Mutex(Statistics())
    private let completed = Atomic<Int>(0)

    public struct Statistics: Sendable {
        public var steps = 0
        public var records = 0
        public var activeInstances = 0
        public var openIncidents = 0
        public var instancesWithIncidents = 0
        /// Created and completed by this process's steps (not counting what recovery replayed).
        public var instancesCreated = 0
        public var instancesCompleted = 0
        /// Per journal partition: commands appended and not yet processed (measured about
        /// once a second).
        public var journalLag: [Int32: Int64] = [:]

        public init() {}

        /// The sum over `processors`.
        init(_ processors: some Sequence<PartitionProcessor>) {
            for processor in processors {
                steps += processor.stepsWritten
                records += processor.recordsWritten
                activeInstances += processor.engine.state.instances.count
                openIncidents += processor.engine.state.openIncidents
                instancesWithIncidents += processor.engine.state.instancesWithIncidents
                instancesCreated += processor.instancesCreated
                instancesCompleted += processor.instancesCompleted
            }
        }
    }

    /// - Parameter snapshots: where partition P keeps its snapshots (nil: none).
    public init(
        log: any Log, snapshots: @escaping @Sendable (Int32) -> (any SnapshotStorage)?, options: RuntimeOptions = RuntimeOptions(),
        clock: @escaping @Sendable () -> Int64, warn: @escaping @Sendable (String) -> Void
    ) {
        self.log = log
        self.options = options
        self.snapshots = snapshots
        self.clock = clock
        self.warn = warn
    }

    public func stop() { stopping.withLock { $0 = true } }

    public var current: Statistics { statistics.withLock { $0 } }

    /// Instances completed so far, as of the last round (`current` is published every
    /// 200 ms; a closed-loop load needs to know sooner).
    public var instancesCompleted: Int { completed.load(ordering: .relaxed) }

    /// Runs until `stop()`. Blocking: call through `DedicatedThread.run`.
    public func runBlocking() throws {
        let processors = try (0..<log.partitionCount(of: Topics.journal)).map { partition in
            PartitionProcessor(
                partition: partition, log: log,
                snapshots: snapshots(partition),
                options: options, clock: clock, warn: warn)
        }
        for processor in processors { try processor.recover() }
        var idleRounds = 0
        var lastPublished: Int64 = 0
        var lastLag: Int64 = 0
        var journalLag: [Int32: Int64] = [:]
        let metrics = RoundMetrics()
        var events = EventExportSchedule(log: log, options: options, warn: warn)
        while !stopping.withLock({ $0 }) {
            var moved = 0
            for processor in processors { moved += try metrics.poll(processor) }
            // One wait for every partition's appends of this round.
            try metrics.flush(log, moved: moved)
            for processor in processors { try processor.logFlushed() }
            if moved > 0 { completed.store(processors.reduce(0) { $0 + $1.instancesCompleted }, ordering: .relaxed) }
            idleRounds = moved == 0 ? idleRounds + 1 : 0
            if idleRounds > 0 { usleep(idleRounds > 100 ? 2000 : 500) }
            let now = clock()
            events.tick(processors, now: now)
            if now - lastLag >= 1000 {
                journalLag = RoundMetrics.journalLag(log, processors)
                lastLag = now
            }
            if now - lastPublished >= 200 {
                publish(processors, journalLag: journalLag)
                lastPublished = now
            }
        }
        try log.flush()
        for processor in processors { try processor.snapshotNow() }
        events.drain(processors, log: log)
        publish(processors, journalLag: RoundMetrics.journalLag(log, processors))
    }

    private func publish(_ processors: [PartitionProcessor], journalLag: [Int32: Int64]) {
        var summary = Statistics(processors)
        summary.journalLag = journalLag
        statistics.withLock { $0 = summary }
    }
}
