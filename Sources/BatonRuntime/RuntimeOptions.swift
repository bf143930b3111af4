import BatonEngine

/// How a partition processor batches, snapshots and schedules. Every replica of a
/// partition must use the same engine configuration (it is part of determinism); the rest
/// may differ.
public struct RuntimeOptions: Sendable {
    /// Most commands processed into one step.
    public var maximumBatch = 1000
    /// Most commands held in memory waiting to be processed; while a partition catches up
    /// on a longer backlog, the rest are read again later.
    public var maximumPendingCommands = 20_000
    /// Entries read from the journal per poll.
    public var readLimit = 2000
    /// A snapshot is written after this many journal entries...
    public var snapshotEveryEntries: Int64 = 50_000
    /// ...or this many milliseconds, whichever comes first (when anything changed).
    public var snapshotEveryMilliseconds: Int64 = 60_000
    /// A due timer, expired lock or due retry is requested again after this long if the
    /// first request has not been answered.
    public var dueWorkRetryMilliseconds: Int64 = 2_000
    /// How often the engine's due-work index is asked for due timers, expired locks and due
    /// retries.
    public var dueWorkScanMilliseconds: Int64 = 50
    /// A journal command larger than this is refused (rejected and dead-lettered) unread.
    public var maximumCommandBytes = 1 << 20
    /// Most bytes one step (one journal message) may take: below the backend's message
    /// limit (Kafka's default is 1 MiB). A batch whose records take more is split across
    /// steps; a command whose records alone take more is refused.
    public var maximumStepBytes = 900_000
    /// Most bytes one task message may take; a task whose message would be larger becomes
    /// an incident (it could not be published).
    public var maximumTaskMessageBytes = 900_000
    /// Whether the engine loops copy every step's records to `baton.events` as JSON
    /// (`EventExporter`), and how often (ms).
    public var exportEvents = true
    public var exportEveryMilliseconds: Int64 = 50
    public var engine = EngineConfiguration()

    public init() {}
}
