import ArgumentParser
import BatonLog
import BatonModel
import BatonRuntime

extension Replay {
    /// `--verify`: each partition's journal folded from position 0 and compared, at every
    /// snapshot kept (oldest first), with the state the live engine wrote there. The first
    /// snapshot that differs is reported with the first instance that differs and how;
    /// the command then fails.
    func verify(_ log: any Log) throws {
        var diverged = false
        for partition in try 0..<log.partitionCount(of: Topics.journal) where self.partition == nil || self.partition == partition {
            let journal = TopicPartition(Topics.journal, partition)
            let processor = PartitionProcessor(partition: partition, log: log, snapshots: nil, clock: WallClock.now, warn: { print("warning: \($0)") })
            try processor.rebuild(upTo: 0, useSnapshot: false)
            guard let store = data.snapshots(log)(partition) else { continue }
            let snapshots = store.loadAll(processes: processor.catalog.registry) { print("warning: \($0)") }
            guard !snapshots.isEmpty else {
                print("partition \(partition): no snapshot to compare with")
                continue
            }
            let end = try log.endPosition(of: journal)
            var verifiedUpTo: Int64 = 0
            for snapshot in snapshots {
                try processor.rebuild(upTo: snapshot.cursor, useSnapshot: false)
                // The live engine's state may hold its own steps after the cursor (applied
                // before it read them back): fold on until the same command is answered.
                var position = snapshot.cursor
                while processor.engine.state.lastCommandPosition < snapshot.state.lastCommandPosition, position < end, processor.halted == nil {
                    position += 1
                    try processor.rebuild(upTo: position, useSnapshot: false)
                }
                if let halted = processor.halted { throw ValidationError(halted.description) }
                if let difference = StateDifference.between(expected: snapshot.state, actual: processor.engine.state, processes: processor.catalog.registry) {
                    print("partition \(partition): the snapshot at position \(snapshot.cursor) DIFFERS from the journal folded up to it; the first divergence lies between positions \(verifiedUpTo) and \(position): \(difference)")
                    diverged = true
                    break
                }
                print("partition \(partition): the snapshot at position \(snapshot.cursor) matches the journal folded up to it (\(snapshot.state.instances.count) active instance(s))")
                verifiedUpTo = position
            }
        }
        if diverged { throw ExitCode(1) }
    }
}
