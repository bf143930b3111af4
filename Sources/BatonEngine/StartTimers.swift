import BatonModel

/// Timer start events (BPMN 2.0.2 §10.5.6): process-level timers, held by no instance, on
/// the journal partition of the process id. Whoever deploys a version with timer start
/// events asks that partition for them (`scheduleStartTimers`), and so does an engine that
/// recovers the partition and finds them missing; a newer version
/// replaces an older one's timers, as Camunda does. Each firing starts the version the
/// timer was scheduled for, with a correlationId of its own on this partition; a cycle
/// schedules its next firing in the same step.
enum StartTimers {
    /// `scheduleStartTimers` (key: the process id).
    static func schedule(_ value: InstanceRecord, _ writer: inout StepWriter) {
        let processId = value.processId
        let version = value.processVersion
        guard processId == writer.command.key else {
            writer.reject("scheduleStartTimers for process '\(processId)' must be keyed by the process id (it is keyed '\(writer.command.key)')")
            return
        }
        guard let deployed = writer.processes.process(id: processId, version: version) else {
            writer.reject("process '\(processId)' version \(version) is not deployed")
            return
        }
        if let latest = writer.processes.latestVersion(of: processId), latest > version {
            writer.reject("process '\(processId)' version \(version) is not the latest (\(latest)): only the latest version's timer start events are scheduled")
            return
        }
        if let scheduled = writer.state.startTimerVersions[processId], scheduled >= version {
            writer.reject("the timer start events of process '\(processId)' version \(scheduled) are scheduled already")
            return
        }
        let older = writer.state.startTimers.values.filter { $0.processId == processId }.sorted { $0.key < $1.key }
        guard !deployed.process.timerStartEvents.isEmpty || !older.isEmpty else {
            writer.reject("process '\(processId)' version \(version) has no timer start event, and no older version's timer waits")
            return
        }
        for timer in older { writer.write(.timerCanceled, .timer(record(timer, timer.dueAt, timer.repetitions, key: timer.key))) }
        for start in deployed.process.timerStartEvents {
            let (dueAt, repetitions) = firstFiring(deployed.process[element: start].timer!, now: writer.now)
            writer.write(.timerCreated, .timer(TimerRecord(
                instanceKey: 0, timerKey: writer.nextKey(), elementInstanceKey: Int64(version), elementIndex: start, dueAt: dueAt,
                repetitions: repetitions)))
        }
    }

    /// `triggerTimer` of a start timer: the next firing of a cycle is scheduled, then an
    /// instance starts at the timer start event.
    static func fire(_ value: TimerRecord, _ writer: inout StepWriter) {
        guard let timer = writer.state.startTimers[value.timerKey] else {
            writer.reject("start timer \(value.timerKey) is not scheduled (fired, replaced by a newer version, or never created)")
            return
        }
        guard writer.now >= timer.dueAt else {
            writer.reject("start timer \(value.timerKey) is due at \(timer.dueAt); the engine's time is \(writer.now)")
            return
        }
        writer.write(.timerTriggered, .timer(record(timer, timer.dueAt, timer.repetitions, key: timer.key)))
        guard let deployed = writer.processes.process(id: timer.processId, version: timer.version) else { return }
        if timer.repetitions != 0, let next = nextFiring(deployed.process[element: timer.elementIndex].timer!, after: timer.dueAt, now: writer.now) {
            writer.write(.timerCreated, .timer(record(timer, next, timer.repetitions > 0 ? timer.repetitions - 1 : -1, key: writer.nextKey())))
        }
        let correlationId = InstanceProcessor.correlationIdOnThisPartition(for: timer.processId, &writer)
        writer.recordKey = correlationId
        let instanceKey = InstanceProcessor.begin(InstanceRecord(processId: timer.processId, processVersion: timer.version), &writer)
        writer.activations = 0
        writer.drain(instanceKey, InstanceProcessor.startAgenda(instanceKey, at: timer.elementIndex, &writer))
        writer.recordKey = writer.command.key
    }

    /// When a start timer first fires: a date (in the past: at once), a duration after
    /// scheduling, or a cycle's first interval; and the firings left after it.
    static func firstFiring(_ timer: TimerDefinition, now: Int64) -> (dueAt: Int64, repetitions: Int32) {
        switch timer {
        case .date(let epochMilliseconds): return (epochMilliseconds, 0)
        case .duration(let milliseconds): return (now + milliseconds, 0)
        case .cycle(let repetitions, let interval): return (now + interval, repetitions.map { $0 - 1 } ?? -1)
        case .cron(let schedule):
            // The compiler checked that the cron matches some instant.
            return (schedule.next(after: now) ?? .max, -1)
        case .durationExpression, .dateExpression, .cycleExpression:
            // The compiler refuses expressions on timer start events.
            preconditionFailure("a timer start event with an expression")
        }
    }

    /// A cycle's next firing after the one due at `previous`. Missed firings (the engine was
    /// down) are skipped, not made up in a burst.
    static func nextFiring(_ timer: TimerDefinition, after previous: Int64, now: Int64) -> Int64? {
        switch timer {
        case .cycle(_, let interval):
            let next = previous + interval
            return next > now ? next : now + interval
        case .cron(let schedule):
            return schedule.next(after: max(previous, now))
        default:
            return nil
        }
    }

    private static func record(_ timer: StartTimer, _ dueAt: Int64, _ repetitions: Int32, key: Int64) -> TimerRecord {
        TimerRecord(
            instanceKey: 0, timerKey: key, elementInstanceKey: Int64(timer.version), elementIndex: timer.elementIndex, dueAt: dueAt,
            repetitions: repetitions)
    }
}
