import BatonLog
import BatonModel
import CoreMetrics
import Synchronization

/// What the engine loops measure while they run, through swift-metrics: a no-op unless the
/// process bootstrapped a metrics backend (`--metrics-port` does, for Prometheus).
struct RoundMetrics {
    /// Time to process one batch of a partition's commands into one step.
    let processing = CoreMetrics.Timer(label: "baton_step_processing_seconds")
    /// Time until a round's appends are durable (the group commit's fsync, or Kafka's acks).
    let append = CoreMetrics.Timer(label: "baton_append_seconds")

    /// Polls a partition, timing the step when there was one.
    func poll(_ processor: PartitionProcessor) throws -> Int {
        let start = ContinuousClock.now
        let moved = try processor.poll()
        if moved > 0 { processing.recordNanoseconds(Self.nanoseconds(since: start)) }
        return moved
    }

    /// Waits for the round's appends, timing it when the round wrote something.
    func flush(_ log: any Log, moved: Int) throws {
        let start = ContinuousClock.now
        try log.flush()
        if moved > 0 { append.recordNanoseconds(Self.nanoseconds(since: start)) }
    }

    static func nanoseconds(since start: ContinuousClock.Instant) -> Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
    }

    /// Commands appended to each partition and not yet processed (end minus cursor).
    static func journalLag(_ log: any Log, _ processors: some Sequence<PartitionProcessor>) -> [Int32: Int64] {
        var lags: [Int32: Int64] = [:]
        let listing = log as? any TopicListing
        for processor in processors {
            let journal = TopicPartition(Topics.journal, processor.partition)
            guard let end = try? listing?.reportedEnd(of: journal) ?? log.endPosition(of: journal) else { continue }
            lags[processor.partition] = max(0, end - processor.cursor)
        }
        return lags
    }
}

#if canImport(Glibc)
import Glibc
#endif
