import BatonEngine
import BatonLog
import BatonModel

extension PartitionProcessor {
    /// An engine reads new deployments now and then, and asks for the timers of the timer
    /// start events of the processes whose id belongs to its partition: for the latest
    /// version, when its timers are not scheduled yet (and to cancel an older version's when
    /// the latest has none). The engine rejects a request that comes twice, so several
    /// replicas or a restart asking again change nothing.
    func requestStartTimers() throws -> Int {
        guard deliversOutbox else { return 0 }
        let now = clock()
        if let last = lastDeploymentScan, now >= last, now - last < options.deploymentScanMilliseconds { return 0 }
        lastDeploymentScan = now
        try refreshDeployments()
        let registry = engine.processes
        var commands: [Record] = []
        for processId in registry.startedByTimer.sorted() {
            guard let latest = registry.latestVersion(of: processId),
                (engine.state.startTimerVersions[processId] ?? 0) < latest,
                try log.partition(forKey: processId, topic: Topics.journal) == partition
            else { continue }
            let latestHasTimers = !(registry.process(id: processId, version: latest)?.process.timerStartEvents.isEmpty ?? true)
            guard latestHasTimers || engine.state.startTimers.values.contains(where: { $0.processId == processId }) else { continue }
            if let asked = requestedStartTimers[processId], asked.version == latest, now - asked.at < options.dueWorkRetryMilliseconds { continue }
            requestedStartTimers[processId] = (latest, now)
            commands.append(.command(
                .scheduleStartTimers, key: processId, value: .timer(TimerRecord(elementInstanceKey: Int64(latest))), timestamp: now,
                partition: partition))
        }
        guard !commands.isEmpty else { return 0 }
        try log.append(commands.map(RecordCodec.encode), keys: commands.map(\.key), to: journal)
        return commands.count
    }
}
