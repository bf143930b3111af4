import BatonEngine
import BatonLog
import BatonModel

/// Runs one journal partition: recover (newest valid snapshot, then replay the tail), then
/// repeatedly read new entries, process the commands into one step, append it, publish the
/// task messages it created. Synchronous and single-threaded: the caller drives `poll` from
/// a thread of its own (see `EngineService`) or, in tests and simulations, step by step.
///
/// Exactly-once without transactions (DESIGN.md §6): a step's records are applied only for
/// commands not answered yet, so a step written twice (crash between append and snapshot,
/// a zombie replica) changes nothing the second time.
public final class PartitionProcessor {
    public let partition: Int32
    public let log: any Log
    public private(set) var engine: Engine
    public private(set) var catalog = DeploymentCatalog()
    /// The next journal position to read.
    public private(set) var cursor: Int64 = 0
    let options: RuntimeOptions
    let snapshots: (any SnapshotStorage)?
    let clock: @Sendable () -> Int64
    let warn: @Sendable (String) -> Void
    var pending: [Record] = []
    var requested: [DueWork: Int64] = [:]
    var lastSnapshotCursor: Int64 = 0
    var lastSnapshotTime: Int64 = 0
    var lastDueWorkScan: Int64?
    /// The newest step time seen in this partition (written or replayed). Step times never
    /// go back, even when this replica's clock is behind the one that wrote before it.
    public private(set) var lastStepTime: Int64 = 0
    /// Counters for metrics and the demo summary.
    public private(set) var stepsWritten = 0
    public private(set) var recordsWritten = 0
    public private(set) var instancesCreated = 0
    public private(set) var instancesCompleted = 0

    var journal: TopicPartition { TopicPartition(Topics.journal, partition) }

    public init(
        partition: Int32, log: any Log, snapshots: (any SnapshotStorage)?, options: RuntimeOptions = RuntimeOptions(),
        clock: @escaping @Sendable () -> Int64, warn: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.partition = partition
        self.log = log
        self.snapshots = snapshots
        self.options = options
        self.clock = clock
        self.warn = warn
        engine = Engine(partition: partition, processes: ProcessRegistry(), configuration: options.engine)
    }

    /// Loads deployments and the newest valid snapshot, replays the journal to its end and
    /// re-publishes every task still waiting for a worker (workers may have lost them).
    public func recover() throws {
        try rebuild()
        lastSnapshotTime = clock()
        try publishWaitingTasks()
    }

    /// Rebuilds state from the newest valid snapshot and the journal up to its end (or up to
    /// `position`), writing nothing: what the CLI's queries use. `progress` is called with
    /// the cursor after each read.
    public func rebuild(upTo position: Int64 = .max, useSnapshot: Bool = true, progress: (Int64) -> Void = { _ in }) throws {
        try catalog.refresh(from: log)
        engine.processes = catalog.registry
        if useSnapshot, let (state, cursor) = snapshots?.loadNewest(processes: catalog.registry, warn: warn), cursor <= position {
            engine = Engine(partition: partition, processes: catalog.registry, configuration: options.engine, state: state)
            self.cursor = cursor
            lastSnapshotCursor = cursor
        }
        while cursor < position, try readBatch(upTo: position) == options.readLimit { progress(cursor) }
        progress(cursor)
    }

    /// Reads what is new, processes pending commands once the journal's end is reached, and
    /// requests due timers, lock expiries and retries. Returns how many entries it handled.
    @discardableResult
    public func poll() throws -> Int {
        let read = try readBatch()
        var handled = read
        if read < options.readLimit, !pending.isEmpty {
            handled += try processPending()
        }
        handled += try requestDueWork()
        try snapshotIfDue()
        return handled
    }

    /// Reads up to `readLimit` entries: steps are applied (their unanswered part), commands
    /// queue up. Returns the number of entries read.
    private func readBatch(upTo position: Int64 = .max) throws -> Int {
        let limit = Int(min(Int64(options.readLimit), position - cursor))
        let entries = try log.read(journal, from: cursor, limit: limit)
        for entry in entries {
            cursor = entry.position + 1
            switch try JournalEntry.decode(entry, partition: partition) {
            case .command(let command):
                if command.position > engine.state.lastCommandPosition { pending.append(command) }
            case .step(let step):
                apply(step)
            }
        }
        return entries.count
    }

    private func apply(_ step: Step) {
        let answeredBefore = engine.state.lastCommandPosition
        for record in step.records where record.sourcePosition > answeredBefore {
            engine.apply(record)
        }
        if let time = step.records.last?.timestamp, time > lastStepTime { lastStepTime = time }
        let answered = engine.state.lastCommandPosition
        if answered > answeredBefore { pending.removeAll { $0.position <= answered } }
    }

    /// Processes queued commands into one step. A command naming a process version this
    /// replica has not loaded yet waits (with every command after it) until it has.
    private func processPending() throws -> Int {
        var batch: [Record] = []
        for command in pending.prefix(options.maximumBatch) {
            if case .instance(let value) = command.value, command.intent == .createInstance,
                catalog.registry.process(id: value.processId, version: value.processVersion) == nil
            {
                try catalog.refresh(from: log)
                engine.processes = catalog.registry
                if catalog.registry.process(id: value.processId, version: value.processVersion) == nil,
                    command.timestamp > clock() - 60_000
                {
                    break
                }
            }
            batch.append(command)
        }
        guard !batch.isEmpty else { return 0 }
        // Engine time: this replica's clock, never behind a step already in the journal.
        // Producers' timestamps are metadata (DESIGN.md §3).
        lastStepTime = max(lastStepTime, clock())
        let step = engine.process(batch: batch, at: lastStepTime)
        pending.removeFirst(batch.count)
        guard !step.records.isEmpty else { return batch.count }
        // Pipelined: the loop driving this processor flushes the log before it relies on
        // durability (on the file log this is an ordinary, fsynced append).
        try log.enqueue([RecordCodec.encode(step)], to: journal)
        stepsWritten += 1
        recordsWritten += step.records.count
        for record in step.records {
            if record.intent == .instanceCreated { instancesCreated += 1 }
            if record.intent == .instanceCompleted { instancesCompleted += 1 }
        }
        try publishTasks(in: step.records)
        return batch.count
    }
}
