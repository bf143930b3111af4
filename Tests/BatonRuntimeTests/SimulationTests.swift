import BatonEngine
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonTestSupport
import BatonWorker
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Deterministic simulation (TigerBeetle's VOPR, in small): engine partitions and workers
/// over a `FaultyLog`, with crashes mid-step, duplicate deliveries, lost task messages and
/// pipelined appends that a flush loses or writes in part, with snapshots written as often
/// as they may be, driven by one seed. After every step: each live partition's state
/// (recovered from its newest snapshot and the journal) equals the fold of the journal
/// prefix it has read, and in that fold no element instance leaves twice and no task result
/// counts twice. At the end, with faults off, every order completes.
///
/// `BATON_SIM_SEEDS=N` runs seeds 1...N (default 25); `BATON_SIM_SEED=S` reruns one.
struct SimulationTests {
    static var seeds: ClosedRange<UInt64> {
        if let one = getenv("BATON_SIM_SEED").flatMap({ UInt64(String(cString: $0)) }) { return one...one }
        let count = getenv("BATON_SIM_SEEDS").flatMap { UInt64(String(cString: $0)) } ?? 25
        return 1...max(1, count)
    }

    @Test func runtimeAndWorkersSurviveFaults() async throws {
        let seeds = Self.seeds
        print("simulation: seeds \(seeds.lowerBound)...\(seeds.upperBound) (BATON_SIM_SEED=S reruns one, BATON_SIM_SEEDS=N runs more)")
        var faults: [String: Int] = [:]
        for seed in seeds {
            guard let injected = try await simulate(seed: seed) else { return }
            faults.merge(injected) { $0 + $1 }
        }
        print("simulation: faults injected: \(faults.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))")
        if seeds.count >= 10 {
            for fault in ["crash before append", "crash after append", "duplicate delivery", "lost task message",
                          "flush lost everything enqueued", "flush wrote only a prefix"] {
                #expect((faults[fault] ?? 0) > 0, "the simulation never injected '\(fault)'")
            }
        }
    }

    /// Returns the faults injected, or nil after recording an issue naming the seed.
    func simulate(seed: UInt64) async throws -> [String: Int]? {
        let memory = MemoryLog(defaultPartitions: 1, topics: [Topics.journal: 2])
        _ = try DeploymentCatalog.deploy(try POSIX.readFile(RuntimeTests.order), fileName: "order-process.bpmn", to: memory)
        let log = FaultyLog(inner: memory, seed: seed)
        let clock = ManualClock()
        var options = RuntimeOptions()
        options.engine.lockDuration = 5_000
        options.maximumBatch = 7
        options.snapshotEveryEntries = 3
        var random = SplitMix64(seed: seed ^ 0xA5A5)
        func roll(_ count: UInt64) -> UInt64 { random.next() % count }

        func freshProcessor(_ partition: Int32) async -> PartitionProcessor {
            while true {
                let processor = PartitionProcessor(
                    partition: partition, log: log, snapshots: LogSnapshotStore(log: memory, partition: partition), options: options,
                    clock: { clock.now() })
                if (try? processor.recover()) != nil { return processor }
            }
        }
        func freshWorker() -> Worker {
            let worker = Worker(transport: LogTaskTransport(log: log, clock: { clock.now() }), workerId: "sim")
            for topic in ["validate-order", "reserve-inventory", "ship-order", "notify-customer", "cancel-order", "manual-approval"] {
                worker.subscribe(topic: topic, maxConcurrent: 4) { _ in .complete(data: .string(topic)) }
            }
            worker.subscribe(topic: "charge-payment", maxConcurrent: 4) { task in
                let number = Int(task.correlationId.dropFirst(4)) ?? 0
                if number % 7 == 3 { return .bpmnError(code: "PAYMENT_DECLINED", message: "declined") }
                if number % 5 == 1 && task.message.attempt == 1 { return .failure(message: "flaky", retries: task.retries - 1, retryTimeout: 1_000) }
                return .complete(data: .string("paid"))
            }
            return worker
        }

        var processors: [PartitionProcessor] = []
        for partition in 0..<Int32(2) { processors.append(await freshProcessor(partition)) }
        var worker = freshWorker()
        var started: Set<String> = []
        let orders = 12

        for step in 0..<160 {
            clock.advance(Int64(roll(700)))
            switch roll(10) {
            case 0 where started.count < orders, 1 where started.count < orders:
                let id = "sim-\(started.count)"
                let command = Record.command(
                    .createInstance, key: id,
                    value: .instance(InstanceRecord(processId: "order-process", processVersion: 1, variables: ["order": .object(["total": .number(Double(roll(2000)))])])),
                    timestamp: clock.now())
                if (try? CommandWriter(log: log).append(command)) != nil { started.insert(id) }
            case 2, 3, 4, 5:
                let index = Int(roll(2))
                do { try processors[index].poll() } catch { processors[index] = await freshProcessor(Int32(index)) }
                do {
                    try log.flush()
                    for processor in processors { try processor.logFlushed() }
                } catch {
                    // What was enqueued may be lost: every partition recovers from the log.
                    for partition in processors.indices { processors[partition] = await freshProcessor(Int32(partition)) }
                }
            default:
                do { _ = try await worker.poll() } catch { worker = freshWorker() }
            }
            if let broken = try invariantViolation(processors, log: memory) {
                Issue.record("seed \(seed), step \(step): \(broken) (BATON_SIM_SEED=\(seed))")
                return nil
            }
        }
        // Faults stop; time moves on; everything must finish.
        log.calm()
        for round in 0..<400 {
            clock.advance(1_000)
            for index in processors.indices {
                do { try processors[index].poll() } catch { processors[index] = await freshProcessor(Int32(index)) }
            }
            try log.flush()
            for processor in processors { try processor.logFlushed() }
            _ = try await worker.poll()
            if round % 50 == 49, let broken = try invariantViolation(processors, log: memory) {
                Issue.record("seed \(seed), settling: \(broken) (BATON_SIM_SEED=\(seed))")
                return nil
            }
            if processors.allSatisfy({ $0.engine.state.instances.isEmpty }) && round > 20 { break }
        }
        let completed = try completions(memory)
        guard completed == started, processors.allSatisfy({ $0.engine.state.instances.isEmpty }) else {
            let stuck = processors.flatMap { $0.engine.state.instances.values.map(\.correlationId) }
            Issue.record("seed \(seed): \(completed.count) of \(started.count) orders completed; still active: \(stuck) (BATON_SIM_SEED=\(seed))")
            return nil
        }
        return log.injected
    }

    /// Each live processor's state, once it has read its journal to the end, must equal the
    /// fold of every step in that journal (it is the only live writer of its partition's
    /// steps; a processor whose append or flush failed was replaced), and the fold must never
    /// leave an element or apply a task result twice.
    func invariantViolation(_ processors: [PartitionProcessor], log: MemoryLog) throws -> String? {
        for processor in processors {
            // Steps that became durable after the processor last read (a replaced
            // processor's flushed late) are read first: pipelined appends land out of step.
            try processor.catchUp()
            let replica = PartitionProcessor(partition: processor.partition, log: log, snapshots: nil, clock: { 0 })
            try replica.rebuild()
            if replica.engine.state != processor.engine.state {
                return "partition \(processor.partition): live state differs from the fold of the journal's steps"
            }
            var engine = Engine(partition: processor.partition, processes: replica.catalog.registry)
            var left: Set<Int64> = []
            var results: Set<Int64> = []
            for entry in try log.read(TopicPartition(Topics.journal, processor.partition), from: 0, limit: 1_000_000) {
                guard case .step(let step) = try JournalEntry.decode(entry, partition: processor.partition) else { continue }
                let answered = engine.state.lastCommandPosition
                for record in step.records where record.sourcePosition > answered {
                    engine.apply(record)
                    switch (record.intent, record.value) {
                    case (.elementCompleted, .element(let value)), (.elementTerminated, .element(let value)):
                        if !left.insert(value.elementInstanceKey).inserted { return "element instance \(value.elementInstanceKey) left twice" }
                    case (.taskCompleted, .task(let value)):
                        if !results.insert(value.taskKey).inserted { return "task \(value.taskKey) completed twice" }
                    default: break
                    }
                }
            }
        }
        return nil
    }

    func completions(_ log: MemoryLog) throws -> Set<String> {
        var keys: Set<String> = []
        for partition in 0..<Int32(2) {
            for entry in try log.read(TopicPartition(Topics.journal, partition), from: 0, limit: 1_000_000) {
                guard case .step(let step) = try JournalEntry.decode(entry, partition: partition) else { continue }
                for record in step.records where record.intent == .instanceCompleted { keys.insert(record.key) }
            }
        }
        return keys
    }
}
