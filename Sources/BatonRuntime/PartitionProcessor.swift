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
    /// Commands read after those in `pending`, not decoded yet: most commands a replay reads
    /// are answered by a step that follows them and are never processed, so a command is
    /// decoded only when it is about to be (`decodeUnread`).
    var unread: [LogEntry] = []
    /// Commands read and not yet answered (at most `maximumPendingCommands`).
    public var pendingCount: Int { pending.count + unread.count }
    var hasPending: Bool { !pending.isEmpty || !unread.isEmpty }
    /// The bytes of pending poison pills (`JournalEntry.refused`), by position, for their
    /// dead letters.
    var refusedPayloads: [Int64: [UInt8]] = [:]
    /// While the queue of pending commands is full, the first command read and not queued:
    /// the journal is read on (steps must be applied before anything is processed) and read
    /// again from here once the queue has drained.
    var unqueuedFrom: Int64?
    /// Commands whose records would not fit one step, by position, with the reason: read
    /// again as poison pills (see `refuseOversizedCommand`).
    var oversizedCommands: [Int64: String] = [:]
    /// Set when a step of this partition cannot be read: the partition stops here (and only
    /// this partition), with this error, until a Baton that reads it takes over.
    public private(set) var halted: UnreadableStep?
    /// Due work asked for, with when (asked again after `dueWorkRetryMilliseconds`).
    var requested: [DueWork: Int64] = [:]
    var lastSnapshotCursor: Int64 = 0
    /// A step was enqueued and the log has not been flushed since: the state holds records
    /// that may not be durable, so no snapshot may be written now (see `logFlushed`).
    var unflushedSteps = false
    /// Commands the steps of this partition send to other partitions (DESIGN.md §4), and
    /// the messages its processes throw (`messageThrown`, for `baton.messages`), appended
    /// once the steps are durable (`logFlushed`). Collected only by an engine
    /// (`recover()`), never by a read replica.
    var outbox: [Record] = []
    var deliversOutbox = false
    /// While an engine recovers: the tasks the replayed steps activated (instance and task
    /// key, in journal order), published again once the replay is done.
    var replayedActivations: [(instanceKey: Int64, taskKey: Int64)] = []
    var collectsActivations = false
    /// Task partitions this processor published to since its last snapshot: synced before
    /// the next one is written.
    var taskPartitionsToSync: Set<TopicPartition> = []
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
    /// Journal records applied from steps read (a replay's work).
    public private(set) var recordsApplied = 0

    var journal: TopicPartition { TopicPartition(Topics.journal, partition) }

    /// Steps this processor appended and has not read back yet, with their bytes: reading
    /// back an entry with the same bytes gives the same step without decoding it again.
    var writtenSteps: [(bytes: [UInt8], step: Step)] = []
    static let writtenStepsKept = 64

    /// Steps read from the journal, decoded, kept for the events export so that it does
    /// not read and decode them again (`keepReadSteps`, `readSteps(from:)`).
    var readSteps: StepsRead?

    struct StepsRead {
        /// Every step at a position in `from..<through` is in `steps`.
        var from: Int64
        var through: Int64
        var steps: [(position: Int64, step: Step)] = []
        /// Most steps kept; older ones are dropped (the export then reads the log).
        static let limit = 20_000
    }

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
    /// re-publishes the tasks the replayed tail activated that still wait for a worker
    /// (see `publishWaitingTasks`).
    public func recover() throws {
        deliversOutbox = true
        collectsActivations = true
        replayedActivations = []
        try rebuild()
        collectsActivations = false
        lastSnapshotTime = clock()
        try publishWaitingTasks()
        try requestStartTimers()
    }

    /// Forgets the state and rebuilds it from the newest valid snapshot and the journal.
    func rebuildFromLog() throws {
        // The rebuild applies the steps again and collects their outbox again.
        outbox = []
        engine = Engine(partition: partition, processes: catalog.registry, configuration: options.engine)
        cursor = 0
        pending = []
        unread = []
        unqueuedFrom = nil
        refusedPayloads = [:]
        lastSnapshotCursor = 0
        try rebuild()
    }

    /// Rebuilds state from the newest valid snapshot and the journal up to its end (or up to
    /// `position`), writing nothing: what the CLI's queries use. `progress` is called with
    /// the cursor after each read.
    public func rebuild(upTo position: Int64 = .max, useSnapshot: Bool = true, progress: (Int64) -> Void = { _ in }) throws {
        try catalog.refresh(from: log)
        // The engine checks where message correlation keys belong: it needs the journal's
        // partition count, which the log knows once the journal exists.
        var configuration = options.engine
        configuration.journalPartitions = try log.partitionCount(of: Topics.journal)
        engine = Engine(partition: partition, processes: catalog.registry, configuration: configuration, state: engine.state)
        if useSnapshot, let (state, cursor) = snapshots?.loadNewest(processes: catalog.registry, warn: warn), cursor <= position {
            engine = Engine(partition: partition, processes: catalog.registry, configuration: configuration, state: state)
            self.cursor = cursor
            lastSnapshotCursor = cursor
        }
        while cursor < position, try readBatch(upTo: position) == options.readLimit { progress(cursor) }
        progress(cursor)
    }

    /// A read replica's round (the gateway's view of the state): loads new deployments,
    /// reads what is new in the journal and applies its steps, processing nothing (commands
    /// are left to the engine). Returns the entries read.
    @discardableResult
    public func follow() throws -> Int {
        if try catalog.refresh(from: log) { engine.processes = catalog.registry }
        var total = 0
        while true {
            // What has arrived: a follower reads again within milliseconds (on Kafka a read
            // to the end waits a fetch round trip per partition).
            let read = try readBatch(arrivedOnly: true)
            pending = []
            unread = []
            refusedPayloads = [:]
            unqueuedFrom = nil
            total += read
            if read < options.readLimit { return total }
        }
    }

    /// Reads the journal to its end (steps are applied, commands queue up) without
    /// processing anything: afterwards the state is the fold of the whole journal.
    public func catchUp() throws {
        while try readBatch() == options.readLimit {}
    }

    /// The loop driving this processor calls this after `log.flush()` succeeded: every step
    /// it enqueued is durable, so a snapshot may cover them (and is written if one is due).
    /// After a failed flush the processor must be dropped and the partition recovered from
    /// the log instead: its state may hold steps that were lost.
    public func logFlushed() throws {
        unflushedSteps = false
        try deliverOutbox()
        try snapshotIfDue()
    }

    /// Appends the outbox to the journal partitions it names (durably), in order. Called
    /// only when the steps that sent it are durable: a command is never delivered for a
    /// step that could still be lost. A crash before or during this delivers them again
    /// after recovery; the receivers drop the second delivery (`MessageProcessor`).
    func deliverOutbox() throws {
        guard !outbox.isEmpty else { return }
        var byTarget: [TopicPartition: (entries: [[UInt8]], keys: [String])] = [:]
        var order: [TopicPartition] = []
        for record in outbox {
            let target: TopicPartition
            let bytes: [UInt8]
            if record.recordType == .command {
                target = TopicPartition(Topics.journal, record.partition)
                bytes = RecordCodec.encode(record)
            } else {
                target = TopicPartition(Topics.messages, try log.partition(forKey: record.key, topic: Topics.messages))
                bytes = ThrownMessage.json(record).jsonBytes
            }
            if byTarget[target] == nil { order.append(target) }
            byTarget[target, default: ([], [])].entries.append(bytes)
            byTarget[target, default: ([], [])].keys.append(record.key)
        }
        for target in order {
            let batch = byTarget[target]!
            _ = try log.append(batch.entries, keys: batch.keys, to: target)
        }
        outbox = []
    }

    /// Records whose effect leaves the partition once their step is durable.
    static func leavesThroughOutbox(_ record: Record) -> Bool {
        record.recordType == .command || (record.intent == .messageThrown && record.recordType == .event)
    }

    /// Reads what is new, processes pending commands once the journal's end is reached, and
    /// requests due timers, lock expiries and retries. Returns how many entries it handled.
    /// A halted partition (see `halted`) does nothing.
    @discardableResult
    public func poll() throws -> Int {
        guard halted == nil else { return 0 }
        let read = try readBatch(arrivedOnly: true)
        var handled = read
        if read < options.readLimit, hasPending {
            handled += try processPending()
        }
        // The commands left unqueued while the queue was full are read again, now that it
        // has drained (the steps on the way are skipped as already applied).
        if read < options.readLimit, !hasPending, let resume = unqueuedFrom {
            cursor = resume
            unqueuedFrom = nil
        }
        handled += try requestDueWork()
        try snapshotIfDue()
        return handled
    }

    /// Reads up to `readLimit` entries: steps are applied (their unanswered part), commands
    /// and poison pills queue up. Returns the number of entries read. A step that cannot be
    /// read halts this partition (see `halted`) instead of throwing. `arrivedOnly`: what has
    /// arrived, without waiting for the partition's end (`Log.readArrived`), for the rounds
    /// of a running engine; a rebuild reads to the end.
    private func readBatch(upTo position: Int64 = .max, arrivedOnly: Bool = false) throws -> Int {
        guard halted == nil else { return 0 }
        let limit = Int(min(Int64(options.readLimit), position - cursor))
        let entries = arrivedOnly ? try log.readArrived(journal, from: cursor, limit: limit) : try log.read(journal, from: cursor, limit: limit)
        if let first = entries.first, first.position > cursor {
            // A gap: the log no longer holds what the state needs.
            let gap = UnreadableStep.removed(partition: partition, from: cursor, to: first.position)
            halted = gap
            warn(gap.description)
            return 0
        }
        for (index, entry) in entries.enumerated() {
            guard entry.payload.first == RecordCodec.stepMagic else {
                // A command (or what a producer sent as one): queued undecoded.
                cursor = entry.position + 1
                if pendingCount >= options.maximumPendingCommands || unqueuedFrom != nil {
                    // Bounded memory while catching up: remember where to read commands again.
                    if unqueuedFrom == nil, entry.position > engine.state.lastCommandPosition { unqueuedFrom = entry.position }
                    continue
                }
                if entry.position > engine.state.lastCommandPosition { unread.append(entry) }
                continue
            }
            let step: Step
            do {
                if let written = writtenSteps.firstIndex(where: { $0.bytes.count == entry.payload.count && $0.bytes == entry.payload }) {
                    step = writtenSteps[written].step
                    writtenSteps.removeFirst(written + 1)
                } else {
                    guard let decoded = try JournalEntry.step(entry, partition: partition) else { continue }
                    step = decoded
                }
            } catch {
                halted = error
                warn(error.description)
                return index
            }
            cursor = entry.position + 1
            apply(step)
            keepRead(step, at: entry.position)
        }
        if var kept = readSteps, let last = entries.last, last.position + 1 > kept.through, kept.through >= entries[0].position {
            kept.through = last.position + 1
            readSteps = kept
        }
        return entries.count
    }

    private func keepRead(_ step: Step, at position: Int64) {
        guard var kept = readSteps, position >= kept.through else { return }
        if kept.steps.count >= StepsRead.limit {
            kept.steps.removeFirst(StepsRead.limit / 2)
            kept.from = kept.steps.first?.position ?? position
        }
        kept.steps.append((position, step))
        readSteps = kept
    }

    /// From now on, keeps the steps it reads for `readSteps(from:)`.
    public func keepReadSteps() {
        if readSteps == nil { readSteps = StepsRead(from: cursor, through: cursor) }
    }

    /// The steps read at positions from `position` on, and the position everything up to
    /// which was read (nil when steps before `position`... are no longer kept, or none are
    /// kept: read the log then). Drops what it returns.
    public func readSteps(from position: Int64) -> (steps: [(position: Int64, step: Step)], through: Int64)? {
        guard var kept = readSteps, position >= kept.from, position <= kept.through else { return nil }
        let steps = kept.steps.filter { $0.position >= position }
        let through = kept.through
        kept.steps = []
        kept.from = through
        readSteps = kept
        return (steps, through)
    }

    private func apply(_ step: Step) {
        let answeredBefore = engine.state.lastCommandPosition
        for record in step.records where record.sourcePosition > answeredBefore {
            engine.apply(record)
            recordsApplied += 1
            // A step another writer made (this replica before a crash, a zombie): its
            // commands for other partitions may never have been delivered. Delivered again
            // (the receiver drops what it has), since a snapshot covers only delivered steps.
            if deliversOutbox, Self.leavesThroughOutbox(record) { outbox.append(record) }
            if collectsActivations, record.intent == .taskCreated || record.intent == .taskActivated, case .task(let task) = record.value {
                replayedActivations.append((task.instanceKey, task.taskKey))
            }
        }
        if let time = step.records.last?.timestamp, time > lastStepTime { lastStepTime = time }
        let answered = engine.state.lastCommandPosition
        if answered > answeredBefore {
            pending.removeAll { $0.position <= answered }
            unread.removeAll { $0.position <= answered }
            if !refusedPayloads.isEmpty { refusedPayloads = refusedPayloads.filter { $0.key > answered } }
        }
    }

    /// Decodes the commands read and not decoded yet into `pending`, in journal order: a
    /// bad one comes back as a stand-in the engine refuses (`JournalEntry.refused`), one
    /// whose records would not fit a step as the stand-in naming why.
    func decodeUnread() throws {
        guard !unread.isEmpty else { return }
        let checks = JournalEntry.Checks(
            maximumCommandBytes: options.maximumCommandBytes, journalPartitions: try log.partitionCount(of: Topics.journal))
        for entry in unread where entry.position > engine.state.lastCommandPosition {
            switch try? JournalEntry.decode(entry, partition: partition, checks: checks) {
            case .command(let command)?:
                if let reason = oversizedCommands[command.position] {
                    pending.append(JournalEntry.standIn(for: entry, partition: partition, key: command.key, reason: reason))
                    refusedPayloads[command.position] = entry.payload
                } else {
                    pending.append(command)
                }
            case .refused(let command, let payload)?:
                pending.append(command)
                refusedPayloads[command.position] = payload
            case .step?, nil:
                break  // never: steps are not queued
            }
        }
        unread = []
    }

    /// The deployments a command was resolved against: the end of the deployments topic its
    /// producer had read and the process version it names (empty for a message, which may
    /// start the latest version of any process with its message start event).
    static func deploymentNeeded(by command: Record) -> (position: Int64, processId: String, version: Int32)? {
        switch (command.intent, command.value) {
        case (.createInstance, .instance(let value)), (.scheduleStartTimers, .instance(let value)):
            (value.deploymentPosition, value.processId, value.processVersion)
        case (.ingestEvent, .message(let value)) where !value.startProcessId.isEmpty:
            (value.deploymentPosition, value.startProcessId, value.processVersion)
        case (.publishMessage, .message(let value)), (.correlateMessage, .message(let value)), (.ingestEvent, .message(let value)),
            (.broadcastSignal, .message(let value)):
            value.deploymentPosition >= 0 ? (value.deploymentPosition, "", 0) : nil
        default: nil
        }
    }

    /// Reads the deployments appended since the last read; the engine runs them from now on.
    func refreshDeployments() throws {
        if try catalog.refresh(from: log) { engine.processes = catalog.registry }
    }

    /// Processes queued commands into one step. A `createInstance` (or an ingested event that
    /// starts a process, or a message naming a deployments position) waits (with every command
    /// after it) while this replica has not read the deployments up to the position its
    /// producer resolved the version against; from there on, whether the version exists is
    /// decided the same way on every replica (DESIGN.md §6).
    private func processPending() throws -> Int {
        guard halted == nil else { return 0 }
        try decodeUnread()
        var batch: [Record] = []
        for command in pending.prefix(options.maximumBatch) {
            if let (deploymentPosition, processId, version) = Self.deploymentNeeded(by: command),
                processId.isEmpty || catalog.registry.process(id: processId, version: version) == nil
            {
                if deploymentPosition < 0 || catalog.position < deploymentPosition { try refreshDeployments() }
                if catalog.position < deploymentPosition { break }
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
        let messages: [[UInt8]]
        switch StepBudget.encode(step, maximumBytes: options.maximumStepBytes) {
        case .messages(let encoded): messages = encoded
        case .oversizedCommand(let position, let bytes):
            try refuseOversizedCommand(at: position, bytes: bytes)
            return batch.count
        }
        // Dead letters before the step that answers them: after a crash between the two, the
        // refused entry is processed again and its dead letter written again (at least once).
        try writeDeadLetters(for: batch, answeredBy: step)
        // Pipelined: the loop driving this processor flushes the log before it relies on
        // durability (on the file log this is an ordinary, fsynced append).
        for message in messages { try log.enqueue([message], to: journal) }
        if messages.count == 1 {
            if writtenSteps.count >= Self.writtenStepsKept { writtenSteps.removeFirst() }
            writtenSteps.append((messages[0], step))
        }
        unflushedSteps = true
        stepsWritten += messages.count
        recordsWritten += step.records.count
        for record in step.records {
            if record.intent == .instanceCreated { instancesCreated += 1 }
            if record.intent == .instanceCompleted { instancesCompleted += 1 }
        }
        try publishTasks(in: step.records)
        outbox += step.records.filter(Self.leavesThroughOutbox)
        return batch.count
    }
}
