import BatonEngine
import BatonLog
import BatonModel
import BatonRuntime
import BatonWorker
import Synchronization

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
    private let processors: [PartitionProcessor]
    /// The engine's verdicts on the latest commands of each partition, by position (the
    /// newest `verdictsKept`), for the requests that wait for them.
    private var verdicts: [[Int64: Verdict]]
    /// The instance each of those commands created, by command position.
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
            var kept = verdicts[Int(partition)]
            var created = createdInstances[Int(partition)]
            for (_, step) in read.steps {
                for position in step.commandPositions where kept[position] == nil {
                    let rejection = step.records.first { $0.recordType == .rejection && $0.sourcePosition == position }
                    kept[position] = rejection.map { .rejected($0.rejectionReason) } ?? .accepted
                }
                for record in step.records where record.intent == .instanceCreated && record.recordType == .event {
                    created[record.sourcePosition] = record.value.instanceKey
                }
            }
            if kept.count > Self.verdictsKept {
                let oldest = kept.keys.sorted().prefix(kept.count - Self.verdictsKept / 2)
                for position in oldest { kept[position] = nil }
            }
            if created.count > Self.verdictsKept {
                let oldest = created.keys.sorted().prefix(created.count - Self.verdictsKept / 2)
                for position in oldest { created[position] = nil }
            }
            verdicts[Int(partition)] = kept
            createdInstances[Int(partition)] = created
        }
    }

    /// The engine's verdict on the command at `position` of `partition`, waiting up to
    /// `timeout` ms for the engine to answer it; nil if it has not answered by then.
    public func verdict(partition: Int32, position: Int64, timeout: Int64) async throws -> Verdict? {
        let deadline = WallClock.now() + timeout
        while true {
            try await DedicatedThread.run { try self.refresh(partition: partition) }
            if let verdict = lock.withLock({ _ in verdicts[Int(partition)][position] }) { return verdict }
            if WallClock.now() >= deadline { return nil }
            try await Task.sleep(nanoseconds: 1_000_000)
        }
    }

    /// The key of the instance the command at `position` of `partition` created (once its
    /// verdict is known), nil if it created none.
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
