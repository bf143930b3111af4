import BatonEngine
import BatonModel
import BatonStorage
import BatonTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Replay equals processing (Zeebe's ReplayStateRandomizedPropertyTest, seeded): random
/// processes, random task outcomes, duplicate and stale deliveries; after every command the
/// state rebuilt from scratch by decoding and applying only the journal's events must equal
/// the live state, no element or task result may count twice, and every token is conserved
/// (`TokenConservation`, checked by the harness on every command).
///
/// `BATON_REPLAY_SEEDS=N` runs seeds 1...N (default 500); `BATON_REPLAY_SEED=S` reruns one.
struct ReplayPropertyTests {
    static let stepsPerSeed = 40

    static var seeds: ClosedRange<UInt64> {
        if let one = environment("BATON_REPLAY_SEED").flatMap(UInt64.init) { return one...one }
        let count = environment("BATON_REPLAY_SEEDS").flatMap(UInt64.init) ?? 500
        return 1...max(1, count)
    }

    static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    @Test func replayEqualsProcessing() throws {
        let seeds = Self.seeds
        print("replay-equals-processing: seeds \(seeds.lowerBound)...\(seeds.upperBound), \(Self.stepsPerSeed) commands each (BATON_REPLAY_SEED=S reruns one seed, BATON_REPLAY_SEEDS=N runs more)")
        var commands = 0
        var outcomes: [Intent: Int] = [:]
        var journals: [UInt8] = []
        for seed in seeds {
            guard let run = try runSeed(seed) else { return }
            commands += run.commands
            outcomes.merge(run.outcomes) { $0 + $1 }
            journals += run.journal
        }
        if let dump = environmentValue("BATON_REPLAY_DUMP") { try writeFile(dump, journals) }
        print("replay-equals-processing: \(commands) commands; events by intent: \(outcomes.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        // The generator must reach every outcome, or the property says little.
        for intent in [Intent.instanceCompleted, .taskCompleted, .taskFailed, .taskErrorThrown, .taskLockExpired, .incidentCreated,
                       .incidentResolved, .timerTriggered, .taskCanceled, .elementTerminated, .variablesUpdated]
        where seeds.count >= 100 {
            #expect((outcomes[intent] ?? 0) > 0, "no \(intent) in \(seeds.count) seeds")
        }
    }

    struct Run {
        var commands = 0
        var outcomes: [Intent: Int] = [:]
        /// Every command and record of the seed, encoded.
        var journal: [UInt8] = []
    }

    /// Determinism across OS processes: two processes run the property (one with Swift's
    /// deterministic hashing, one with its per-process random hash seed, so every dictionary
    /// iterates in another order) and must write the same journals byte for byte.
    @Test func journalsAreByteIdenticalAcrossProcesses() throws {
        guard environmentValue("BATON_REPLAY_DUMP") == nil else { return }
        let directory = TemporaryDirectory("baton-replay-processes")
        defer { directory.remove() }
        let seeds = "100"
        var dumps: [[UInt8]] = []
        for (index, deterministic) in [true, false].enumerated() {
            var environment = environmentVariables()
            environment["BATON_REPLAY_SEEDS"] = seeds
            environment["BATON_REPLAY_SEED"] = nil
            environment["BATON_REPLAY_DUMP"] = "\(directory.path)/journal-\(index)"
            environment["SWIFT_DETERMINISTIC_HASHING"] = deterministic ? "1" : nil
            let child = try ChildProcess.spawn(
                "/proc/self/exe", ["--testing-library", "swift-testing", "--filter", "ReplayPropertyTests/replayEqualsProcessing"],
                environment: environment)
            #expect(child.wait() == 0, "the replay property failed in a child process")
            dumps.append((try? POSIX.readFile("\(directory.path)/journal-\(index)")) ?? [])
        }
        print("replay across processes: \(seeds) seeds, journals of \(dumps.map(\.count)) bytes")
        #expect(!dumps[0].isEmpty)
        // Compared as a whole first: a failing #expect on megabytes would diff them byte by byte.
        let same = dumps[0] == dumps[1]
        let firstDifference = same ? nil : zip(dumps[0], dumps[1]).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(same, "two processes wrote different journals for the same seeds (first difference at byte \(firstDifference ?? min(dumps[0].count, dumps[1].count)))")
    }

    /// Returns nil after recording an issue that names the seed.
    func runSeed(_ seed: UInt64) throws -> Run? {
        let random = RandomProcess(seed: seed)
        var harness: EngineHarness
        do {
            harness = try EngineHarness(random.text, declarations: RandomProcess.declarations)
        } catch {
            Issue.record("seed \(seed): the generated process does not compile:\n\(random.text)")
            return nil
        }
        var rng = SplitMix64(seed: seed &* 0x9E37_79B9 ^ 0x5EED)
        var run = Run()
        // The state as a replica rebuilt it (different dictionary histories than the live
        // one): the same commands must produce the same records on it.
        var rebuilt = EngineState()
        for step in 0..<Self.stepsPerSeed {
            harness.now += Int64(rng.next() % 500)
            let journalBefore = harness.journal.count
            SimulatedWorld.act(&harness, &rng)
            run.commands += 1
            // The harness checks token conservation on every command and records what breaks it.
            guard harness.tokenViolations.isEmpty else {
                Issue.record("seed \(seed), step \(step): token conservation broken (BATON_REPLAY_SEED=\(seed)); the process:\n\(random.text)")
                return nil
            }
            var shadow = Engine(partition: 1, processes: harness.engine.processes, configuration: harness.engine.configuration, state: rebuilt)
            let added = harness.journal[journalBefore...]
            // The same step time as the live engine: the time its records carry.
            let stepTime = added.first { $0.recordType != .command }?.timestamp ?? harness.now
            // Commands appended to the journal have positions; those a step sends through its
            // outbox (position -1) are part of what it produced.
            let shadowRecords = added.filter { $0.recordType == .command && $0.position >= 0 }.flatMap { shadow.process($0, at: stepTime) }
            guard shadowRecords == added.filter({ $0.recordType != .command || $0.position < 0 }) else {
                Issue.record("seed \(seed), step \(step): a replica with the rebuilt state produced other records for the same commands (BATON_REPLAY_SEED=\(seed))")
                return nil
            }
            let replayed = replayThroughCodec(harness)
            rebuilt = replayed
            guard replayed == harness.engine.state else {
                Issue.record("seed \(seed), step \(step): the state rebuilt by replay differs from the live state (BATON_REPLAY_SEED=\(seed))")
                return nil
            }
            // The snapshot form rebuilds the same state too.
            let snapshot = try EngineState.fromSnapshot(harness.engine.state.snapshotBytes(processes: harness.engine.processes), processes: harness.engine.processes)
            guard snapshot == harness.engine.state else {
                Issue.record("seed \(seed), step \(step): the state rebuilt from a snapshot differs (BATON_REPLAY_SEED=\(seed))")
                return nil
            }
            if let broken = invariantViolation(harness) {
                Issue.record("seed \(seed), step \(step): \(broken) (BATON_REPLAY_SEED=\(seed))")
                return nil
            }
        }
        for record in harness.journal where record.recordType == .event { run.outcomes[record.intent, default: 0] += 1 }
        for record in harness.journal { run.journal += RecordCodec.encode(record) }
        return run
    }

    /// Rebuilds state from the journal's bytes: encode, decode, apply.
    func replayThroughCodec(_ harness: EngineHarness) -> EngineState {
        var replica = Engine(partition: 1, processes: harness.engine.processes, configuration: harness.engine.configuration)
        for record in harness.journal where record.recordType != .command {
            guard let decoded = try? RecordCodec.decodeRecord(RecordCodec.encode(record)) else {
                Issue.record("record does not decode: \(record)")
                continue
            }
            replica.apply(decoded)
        }
        return replica.state
    }

    func invariantViolation(_ harness: EngineHarness) -> String? {
        var ended: Set<Int64> = []
        var completedTasks: [Int64: Int] = [:]
        for record in harness.journal where record.recordType == .event {
            switch (record.intent, record.value) {
            case (.elementCompleted, .element(let value)), (.elementTerminated, .element(let value)):
                guard ended.insert(value.elementInstanceKey).inserted else {
                    return "element instance \(value.elementInstanceKey) left twice"
                }
            case (.taskCompleted, .task(let value)):
                completedTasks[value.instanceKey, default: 0] += 1
            default:
                break
            }
        }
        for instance in harness.engine.state.instances.values {
            if instance.taskResults.count != completedTasks[instance.key, default: 0] {
                return "instance \(instance.key) holds \(instance.taskResults.count) task results for \(completedTasks[instance.key, default: 0]) completions"
            }
            for task in instance.tasks.values where instance.elements[task.elementInstanceKey] == nil {
                return "task \(task.key) outlived its element instance"
            }
            for timer in instance.timers.values where instance.elements[timer.elementInstanceKey] == nil {
                return "timer \(timer.key) outlived its element instance"
            }
        }
        return nil
    }
}

/// Workers, clocks and operators acting at random on the harness's instances.
enum SimulatedWorld {
    static func act(_ harness: inout EngineHarness, _ rng: inout SplitMix64) {
        func roll(_ count: Int) -> Int { Int(rng.next() % UInt64(count)) }
        let instances = harness.engine.state.instances.values.sorted { $0.key < $1.key }
        let tasks = instances.flatMap { instance in instance.tasks.values.sorted { $0.key < $1.key }.map { (instance.key, $0) } }
        let timers = instances.flatMap { instance in instance.timers.values.sorted { $0.key < $1.key }.map { (instance.key, $0) } }
        let incidents = instances.flatMap { instance in instance.incidents.values.sorted { $0.key < $1.key }.map { (instance.key, $0) } }
        var choices = ["start"]
        if !tasks.isEmpty { choices += ["task", "task", "task", "task"] }
        if !timers.isEmpty { choices += ["timer"] }
        if !incidents.isEmpty { choices += ["incident"] }
        if !harness.outbox.isEmpty { choices += ["outbox", "outbox"] }
        let startTimers = harness.engine.state.startTimers.values.sorted { $0.key < $1.key }
        if !harness.process.timerStartEvents.isEmpty, harness.engine.state.startTimerVersions.isEmpty { choices += ["schedule"] }
        if !startTimers.isEmpty { choices += ["startTimer"] }
        if harness.engine.state.subscriptionsByAddress.keys.contains(where: \.correlationKey.isEmpty) { choices += ["signal"] }
        if instances.count >= 3 { choices.removeFirst() }
        if choices.isEmpty { choices = ["start"] }
        func variables() -> [String: JSONValue] { ["r\(roll(3))": .number(Double(roll(100)))] }

        switch choices[roll(choices.count)] {
        case "start":
            let variables: [String: JSONValue] = ["r0": .number(Double(roll(100))), "r1": .number(Double(roll(100))), "r2": .number(Double(roll(100)))]
            harness.correlationId = "order-\(roll(1000))"
            harness.start(variables)
        case "timer":
            let (instanceKey, timer) = timers[roll(timers.count)]
            if roll(5) > 0 { harness.now = max(harness.now, timer.dueAt) }
            harness.send(.triggerTimer, .timer(TimerRecord(instanceKey: instanceKey, timerKey: timer.key)))
        case "schedule":
            // As the deployer asks (sometimes twice: the second is rejected).
            let request = InstanceRecord(processId: harness.process.processId, processVersion: harness.version)
            harness.send(.scheduleStartTimers, .instance(request), key: request.processId)
            if roll(4) == 0 { harness.send(.scheduleStartTimers, .instance(request), key: request.processId) }
        case "startTimer":
            let timer = startTimers[roll(startTimers.count)]
            if roll(5) > 0 { harness.now = max(harness.now, timer.dueAt) }
            harness.send(.triggerTimer, .timer(TimerRecord(instanceKey: 0, timerKey: timer.key)), key: timer.processId)
        case "outbox":
            // A thrown signal, delivered (sometimes twice: the second is a duplicate).
            let command = harness.outbox.removeFirst()
            harness.send(command.intent, command.value, key: command.key)
            if roll(4) == 0 { harness.send(command.intent, command.value, key: command.key) }
        case "signal":
            harness.send(.broadcastSignal, .message(MessageRecord(name: "sig-1", variables: variables())), key: "sig-1")
        case "incident":
            let (instanceKey, incident) = incidents[roll(incidents.count)]
            harness.send(.resolveIncident, .incident(IncidentRecord(
                instanceKey: instanceKey, incidentKey: incident.key, retries: Int32(roll(3)), variables: roll(2) == 0 ? variables() : [:])))
        default:
            let (instanceKey, task) = tasks[roll(tasks.count)]
            var value = TaskRecord(instanceKey: instanceKey, taskKey: task.key, attempt: task.attempt)
            switch roll(20) {
            case 0..<8:
                value.data = .object(["n": .number(Double(roll(10)))])
                value.variables = variables()
                harness.send(.completeTask, .task(value))
                if roll(4) == 0 { harness.send(.completeTask, .task(value)) }  // duplicate delivery
            case 8..<11:
                value.retries = Int32(roll(3))
                value.retryTimeout = Int64(roll(2) * 1000)
                value.errorMessage = "simulated failure"
                harness.send(.failTask, .task(value))
            case 11..<13:
                value.errorCode = roll(3) == 0 ? "E2" : "E1"
                value.variables = variables()
                harness.send(.throwTaskError, .task(value))
            case 13..<15:
                if case .active(let lockExpiresAt) = task.phase, roll(4) > 0 { harness.now = max(harness.now, lockExpiresAt) }
                harness.send(.expireTaskLock, .task(value))
            case 15:
                if case .waitingForRetry(let retryAt) = task.phase { harness.now = max(harness.now, retryAt) }
                harness.send(.retryTask, .task(value))
            case 16:
                value.lockDuration = 1000
                harness.send(.extendTaskLock, .task(value))
            case 17:
                value.attempt = task.attempt > 1 ? task.attempt - 1 : task.attempt + 1  // stale or future attempt
                harness.send(.completeTask, .task(value))
            default:
                // A command delivered twice at the same position is skipped entirely.
                if let last = harness.journal.last(where: { $0.recordType == .command }) {
                    let before = harness.engine.state
                    #expect(harness.engine.process(last, at: harness.now).isEmpty)
                    #expect(harness.engine.state == before)
                }
                if case .waitingForRetry(let retryAt) = task.phase {
                    harness.now = max(harness.now, retryAt)
                    harness.send(.retryTask, .task(value))
                } else {
                    harness.send(.completeTask, .task(value))
                }
            }
        }
    }
}
