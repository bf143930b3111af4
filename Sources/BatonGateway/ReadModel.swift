import BatonEngine
import BatonLog
import BatonModel
import BatonRuntime
import BatonWorker
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The gateway's view of the state: one read replica per journal partition, folding the
/// journal as the engine does (steps applied, commands left to the engine). State is a fold
/// of the log, so every gateway replica computes the same view; it lags the engine by a
/// read. Queries read it; commands that need the engine's verdict (a claim, an answer) wait
/// here for the step that answers them.
public final class ReadModel: @unchecked Sendable {
    /// The engine's answer to one command: accepted, or rejected with the reason.
    public enum Verdict: Sendable, Equatable {
        case accepted
        case rejected(String)
    }

    private let lock = Mutex<Void>(())
    private let waiting = VerdictWaiters()
    private let processors: [PartitionProcessor]
    /// The engine's verdicts on the latest commands of each partition, by position (the
    /// newest `verdictsKept`), for the requests that wait for them.
    private var verdicts: [[Int64: Verdict]]
    /// The instance each of those commands created (or, for a message, the first it
    /// correlated to), by command position.
    private var createdInstances: [[Int64: Int64]]
    static let verdictsKept = 50_000

    public init(log: any Log, snapshots: @escaping @Sendable (Int32) -> (any SnapshotStorage)?) throws {
        processors = try (0..<log.partitionCount(of: Topics.journal)).map { partition in
            let processor = PartitionProcessor(partition: partition, log: log, snapshots: snapshots(partition), clock: WallClock.now)
            try processor.rebuild()
            processor.keepReadSteps()
            return processor
        }
        verdicts = Array(repeating: [:], count: processors.count)
        createdInstances = Array(repeating: [:], count: processors.count)
    }

    public var partitionCount: Int32 { Int32(processors.count) }

    /// Reads what is new on every partition.
    public func refresh() throws {
        for partition in processors.indices { try refresh(partition: Int32(partition)) }
    }

    /// Reads what is new on one partition, keeping the verdicts of the commands answered.
    public func refresh(partition: Int32) throws {
        try lock.withLock { _ in
            let processor = processors[Int(partition)]
            let from = processor.cursor
            try processor.follow()
            guard let read = processor.readSteps(from: from) else { return }
            let index = Int(partition)
            // In place: these dictionaries hold tens of thousands of entries, and a copy per
            // read would cost more than the read.
            for (_, step) in read.steps {
                var rejections: [Int64: String] = [:]
                for record in step.records {
                    if record.recordType == .rejection {
                        rejections[record.sourcePosition] = record.rejectionReason
                    } else if record.intent == .instanceCreated, record.recordType == .event {
                        createdInstances[index][record.sourcePosition] = record.value.instanceKey
                    } else if record.intent == .messageCorrelated, createdInstances[index][record.sourcePosition] == nil {
                        createdInstances[index][record.sourcePosition] = record.value.instanceKey
                    }
                }
                for position in step.commandPositions where verdicts[index][position] == nil {
                    verdicts[index][position] = rejections[position].map { .rejected($0) } ?? .accepted
                }
            }
            if verdicts[index].count > Self.verdictsKept {
                for position in verdicts[index].keys.sorted().prefix(verdicts[index].count - Self.verdictsKept / 2) { verdicts[index][position] = nil }
            }
            if createdInstances[index].count > Self.verdictsKept {
                for position in createdInstances[index].keys.sorted().prefix(createdInstances[index].count - Self.verdictsKept / 2) {
                    createdInstances[index][position] = nil
                }
            }
        }
    }

    /// The engine's verdict on the command at `position` of `partition`, waiting up to
    /// `timeout` ms for the engine to answer it; nil if it has not answered by then. While
    /// `follow()` runs, requests wait for its reads (one reader for every waiting request);
    /// otherwise each reads for itself.
    public func verdict(partition: Int32, position: Int64, timeout: Int64) async throws -> Verdict? {
        if let known = knownVerdict(partition: partition, position: position) { return known }
        if waiting.isFollowed {
            return await waiting.wait(partition: partition, position: position, deadline: WallClock.now() + timeout)
        }
        let deadline = WallClock.now() + timeout
        while true {
            try await DedicatedThread.run { try self.refresh(partition: partition) }
            if let verdict = knownVerdict(partition: partition, position: position) { return verdict }
            if WallClock.now() >= deadline { return nil }
            try await Task.sleep(nanoseconds: 1_000_000)
        }
    }

    func knownVerdict(partition: Int32, position: Int64) -> Verdict? {
        lock.withLock { _ in verdicts[Int(partition)][position] }
    }

    /// Keeps the model at the journal's end until cancelled: every 20 ms, and every
    /// millisecond while requests wait for verdicts, which it then hands them. A read per
    /// millisecond answers all the commands the engine answered meanwhile: at 0.2 ms (as
    /// first) the reads answered few each and cost more than they saved (`make
    /// bench-gateway` with maxTasks 1: 3,100-3,600 tasks/s then, 4,150-4,550 at 1 ms, and
    /// 3,570-3,850 at 2 ms, where requests wait on the reads).
    public func follow() async throws {
        let stop = Mutex(false)
        waiting.isFollowed = true
        defer {
            waiting.isFollowed = false
            // Nobody answers them any more: they get no verdict (503) rather than hang.
            waiting.answer(now: .max) { _, _ in nil }
        }
        try await withTaskCancellationHandler {
            try await DedicatedThread.run {
                var lastRefresh: Int64 = 0
                while !stop.withLock({ $0 }) {
                    let now = WallClock.now()
                    let pending = self.waiting.hasWaiters
                    if pending || now - lastRefresh >= 20 {
                        try self.refresh()
                        lastRefresh = now
                        self.waiting.answer(now: WallClock.now(), with: self.knownVerdict)
                    }
                    usleep(1_000)
                }
            }
        } onCancel: {
            stop.withLock { $0 = true }
        }
    }

    /// The key of the instance the command at `position` of `partition` created, or the
    /// first a message correlated to (once its verdict is known); nil if none.
    public func createdInstance(partition: Int32, position: Int64) -> Int64? {
        lock.withLock { _ in createdInstances[Int(partition)][position] }
    }

    /// Reads the state of every partition (under the model's lock: keep `body` short).
    public func read<Result>(_ body: (_ state: [EngineState], _ processes: ProcessRegistry) throws -> Result) rethrows -> Result {
        try lock.withLock { _ in
            try body(processors.map(\.engine.state), processors[0].catalog.registry)
        }
    }

    /// The state of the partition a key was made on (the top 8 bits of every key the
    /// engine makes), if that partition exists.
    private func state(ofKey key: Int64) -> EngineState? {
        let partition = Int(key >> 56)
        guard key >= 0, partition < processors.count else { return nil }
        return processors[partition].engine.state
    }

    /// An active instance by key.
    public func instance(key: Int64) -> InstanceState? {
        lock.withLock { _ in state(ofKey: key)?.instances[key] }
    }

    /// A task by key, with its instance (Camunda 8's job key is the task key).
    public func task(key: Int64) -> (instance: InstanceState, task: TaskState)? {
        lock.withLock { _ in
            guard let state = state(ofKey: key) else { return nil }
            for instance in state.instances.values { if let task = instance.tasks[key] { return (instance, task) } }
            return nil
        }
    }

    /// An open incident by key, with its instance.
    public func incident(key: Int64) -> (instance: InstanceState, incident: IncidentState)? {
        lock.withLock { _ in
            guard let state = state(ofKey: key) else { return nil }
            for instance in state.instances.values { if let incident = instance.incidents[key] { return (instance, incident) } }
            return nil
        }
    }

    /// The deployments known to this replica (every partition reads the same topic).
    public func catalog() -> DeploymentCatalog { lock.withLock { _ in processors[0].catalog } }
}
