import ArgumentParser
import BatonFileLog
import BatonLog
import BatonModel
import BatonRuntime

/// `baton prune`: removes the journal's prefix that snapshots make unnecessary (the
/// embedded log's retention).
struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove the journal's segments that the oldest kept snapshot covers (embedded log).",
        discussion: """
            For each journal partition, whole segment files (64 MiB each) below a bound are \
            deleted: the cursor of the oldest snapshot kept for the partition that loads (two \
            are kept; recovery falls back to the older one), and no further than the events \
            export has copied to baton.events. Nothing a snapshot does not cover is removed, \
            and a partition without a usable snapshot is left whole. Positions do not change. \
            Afterwards 'baton replay' (which folds from position 0, without snapshots) stops \
            at the gap and says so, and a replica without the snapshots halts the partition \
            naming the missing positions instead of folding a partial journal. Safe while the \
            engine runs.

            On Kafka the journal's prefix is removed by the baton.journal topic's retention \
            (retention.ms, retention.bytes); keep it longer than the snapshot interval (60 s \
            or 50,000 entries by default) with a wide margin, or leave it unlimited (retention.ms -1, as \
            topics/baton.journal.json declares it for 'baton topics apply'). A replica that finds entries gone that no \
            snapshot covers halts that partition with the positions missing.
            """)

    @OptionGroup var data: DataDirectory

    @Flag(help: "Print what would be removed, remove nothing.") var dryRun = false

    func run() throws {
        guard data.kafka == nil else {
            throw ValidationError("on Kafka the journal's prefix is removed by the baton.journal topic's retention (retention.ms, retention.bytes), not by 'baton prune': see 'baton prune --help'")
        }
        guard let log = try data.openLog() as? FileLog else { throw ValidationError("the embedded log did not open") }
        var catalog = DeploymentCatalog()
        _ = try catalog.refresh(from: log)
        let snapshots = data.snapshots(log)
        for partition in try 0..<log.partitionCount(of: Topics.journal) {
            let journal = TopicPartition(Topics.journal, partition)
            guard let store = snapshots(partition) as? SnapshotStore else { continue }
            let start = try log.startPosition(of: journal)
            let usable = store.loadAll(processes: catalog.registry) { print("warning: \($0)") }.map(\.cursor)
            guard let covered = usable.min() else {
                print("journal partition \(partition): nothing removed, no usable snapshot (the journal starts at \(start))")
                continue
            }
            var bound = covered
            var limit = "the oldest kept snapshot is at \(covered)"
            let exported = try log.committedPosition(group: EventExporter.group, partition: journal) ?? 0
            if exported < bound {
                bound = exported
                limit = "the events export has copied up to \(exported) (the oldest kept snapshot is at \(covered))"
            }
            let newStart = try log.removePrefix(of: journal, below: bound, dryRun: dryRun)
            let verb = dryRun ? "would remove" : "removed"
            if newStart > start {
                print("journal partition \(partition): \(verb) positions \(start)..<\(newStart); \(limit)")
            } else {
                print("journal partition \(partition): nothing to remove below \(bound): \(limit), and the journal starts at \(start) (whole segments only)")
            }
        }
    }
}
