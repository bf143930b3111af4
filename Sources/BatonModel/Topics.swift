/// Topic names Baton uses on every backend (declared in topics/).
public enum Topics {
    /// Commands and the engine's steps, keyed by correlationId.
    public static let journal = "baton.journal"
    /// Every deployment, in order; a single partition every replica reads in full.
    public static let deployments = "baton.deployments"
    /// Snapshots of journal partition P, on partition P (as many partitions as the journal).
    public static let snapshots = "baton.snapshots"
    /// Input the engine refused, with the reason and where it came from (JSON, one partition).
    public static let deadLetter = "baton.dead-letter"
    /// External tasks of one task topic, as JSON task messages.
    public static func tasks(_ topic: String) -> String { taskPrefix + topic }
    public static let taskPrefix = "baton.task."
    /// Partitions a task topic gets when it is created (topics/baton.task.json): the most
    /// workers of one topic that can share its work.
    public static let defaultTaskPartitions: Int32 = 12
    /// Messages thrown by processes (message throw and end events, send tasks without a task
    /// topic), as JSON keyed by correlationId, for any consumer.
    public static let messages = "baton.messages"
    /// The example source topic of order events (`baton ingest`), as topics/orders.json
    /// declares it; other source topics get their count when first written.
    public static let orders = "orders"
    public static let defaultSourcePartitions: Int32 = 12
    /// Every step's records as JSON for downstream consumers, keyed by correlationId, as
    /// many partitions as the journal (partition P holds journal partition P's records).
    public static let events = "baton.events"
    /// Topics whose content is made again from the journal after a crash (task messages of the
    /// replayed tail are re-published at recovery and synced before a snapshot, events re-exported from the exporter's committed
    /// position): the file log fsyncs them only before a consumer commits in them.
    public static let remadeFromJournal = [taskPrefix, events]
}
