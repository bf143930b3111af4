import BatonEngine
import BatonLog
import BatonModel

extension PartitionProcessor {
    /// When an engine recovers its partition, it asks for the timers of the timer start
    /// events of the processes whose id belongs to the partition and whose latest version's
    /// timers are not scheduled (or whose older version's timers wait while the latest has
    /// none): what a deployer that died between appending a deployment and its
    /// `scheduleStartTimers` left undone. The engine rejects a request that comes twice.
    func requestStartTimers() throws {
        let registry = engine.processes
        var commands: [Record] = []
        for processId in registry.startedByTimer.sorted() {
            guard let latest = registry.latestVersion(of: processId),
                (engine.state.startTimerVersions[processId] ?? 0) < latest,
                try log.partition(forKey: processId, topic: Topics.journal) == partition
            else { continue }
            let latestHasTimers = !(registry.process(id: processId, version: latest)?.process.timerStartEvents.isEmpty ?? true)
            guard latestHasTimers || engine.state.startTimers.values.contains(where: { $0.processId == processId }) else { continue }
            commands.append(StartTimerRequest.command(processId: processId, version: latest, deploymentsEnd: catalog.position, timestamp: clock()))
        }
        guard !commands.isEmpty else { return }
        try log.append(commands.map(RecordCodec.encode), keys: commands.map(\.key), to: journal)
    }
}

/// `scheduleStartTimers`, keyed by the process id (so it goes to the partition that holds
/// the process's start timers).
public enum StartTimerRequest {
    public static func command(processId: String, version: Int32, deploymentsEnd: Int64, timestamp: Int64) -> Record {
        .command(
            .scheduleStartTimers, key: processId,
            value: .instance(InstanceRecord(processId: processId, processVersion: version, deploymentPosition: deploymentsEnd)),
            timestamp: timestamp)
    }
}
