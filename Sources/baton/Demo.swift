import ArgumentParser
import BatonEngine
import BatonFileLog
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonWorker

#if canImport(Glibc)
import Glibc
#endif

/// `baton demo`: the main job end to end on the embedded log, in one process.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the order demo: 10,000 orders through bpmn/order-process.bpmn on the embedded log.",
        discussion: """
            Starts from an empty data folder (--data-dir, removed first), deploys the order \
            process, starts the engine and the demo workers in this process, streams the orders \
            (createInstance commands) into the journal, and waits. About 5% of payments fail once \
            and succeed on retry; about 1% keep failing until their retries run out and become \
            incidents. It prints a summary (completed, incidents, throughput, start-to-end \
            latency), the replayed history of one order, then makes the payment service healthy, \
            retries the incidents in bulk, and checks from the journal that every order completed \
            exactly once.
            """)

    @Option(name: .customLong("data-dir"), help: "Folder for the demo's log (removed first).")
    var path = "./baton-data-demo"

    @Option(help: "Orders to stream.") var orders = 10_000
    @Option(help: "Journal partitions.") var partitions: Int32 = 2
    @Option(help: "The order process to deploy.") var bpmn = "bpmn/order-process.bpmn"
    @Option(help: "Run the workers as 'baton worker --config FILE' processes instead of in this process (e.g. examples/order-workers/workers.yaml with its HTTP service).")
    var workerConfig: String?
    @Option(help: "With --worker-config: how many worker processes share the task topics.") var workerProcesses = 2
    @Flag(help: "Stream the orders as events on the 'orders' topic through 'baton ingest' instead: OrderPlaced starts bpmn/order-events.bpmn, PaymentConfirmed arrives as a message.")
    var events = false
    @Option(help: "With --events: the process the order events start.") var eventsBpmn = "bpmn/order-events.bpmn"
    @Option(help: "With --events: the ingest rules.") var eventsRules = "bpmn/order-events.yaml"

    func run() async throws {
        if events {
            try await runEventDriven()
            return
        }
        POSIX.removeTree(path)
        let data = try DataDirectory.parse(["--data-dir", path, "--partitions", String(partitions)])
        let log = try data.openLog()
        let deployed = try DeploymentCatalog.deploy(try POSIX.readFile(bpmn), fileName: bpmn, to: log)
        print("deployed \(bpmn); streaming \(orders) orders into \(partitions) journal partition(s) under \(path)")

        let loop = EngineLoop(log: log, snapshots: data.snapshots(log), clock: WallClock.now, warn: { print("warning: \($0)") })
        let engine = Task { try await DedicatedThread.run { try loop.runBlocking() } }
        let worker = Worker(transport: LogTaskTransport(log: log), workerId: "demo-worker")
        let services = DemoWorkers()
        var processes: [pid_t] = []
        if let workerConfig {
            for index in 0..<workerProcesses {
                processes.append(try spawnSelf(["worker", "--data-dir", path, "--config", workerConfig, "--worker-id", "order-worker-\(index + 1)"]))
            }
            print("\(workerProcesses) worker process(es): baton worker --config \(workerConfig)")
        } else {
            services.subscribe(worker)
        }
        let workers = Task { try await worker.run() }

        let started = WallClock.now()
        try streamOrders(into: log, deployments: deployed.deploymentsEnd)
        try await waitUntil(loop, "orders created and settled") { $0.instancesCreated >= orders && $0.activeInstances == $0.instancesWithIncidents }
        let settled = WallClock.now()
        let statistics = loop.current
        try await printSummary(log: log, statistics: statistics, seconds: Double(settled - started) / 1000, data: data)

        print("\nthe payment service is healthy again: retrying every incident in bulk ('baton incidents retry --all')")
        services.healthy.withLock { $0 = true }  // (the worker config's service heals by itself: it fails only the first attempts)
        let open = try Incidents.open(data)
        let retried = try Incidents.retry(open.map { ($0.instance, $0.incident) }, retries: 3, log: log)
        print("asked to retry \(retried) incident(s)")
        try await waitUntil(loop, "every order completed") { $0.activeInstances == 0 }
        try verifyEveryOrderCompletedOnce(log)

        worker.shutdown()
        for process in processes { kill(process, SIGTERM) }
        for process in processes {
            var status: Int32 = 0
            waitpid(process, &status, 0)
        }
        loop.stop()
        try await workers.value
        try await engine.value
    }

    /// Starts this executable with `arguments` (its output goes to this one's).
    private func spawnSelf(_ arguments: [String]) throws -> pid_t {
        var pid: pid_t = 0
        let argv = (["baton"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let result = posix_spawn(&pid, "/proc/self/exe", nil, nil, argv, environ)
        guard result == 0 else { throw ValidationError("could not start a worker process: \(String(cString: strerror(result)))") }
        return pid
    }

    private func streamOrders(into log: any Log, deployments: Int64) throws {
        let writer = CommandWriter(log: log)
        for batchStart in stride(from: 0, to: orders, by: 500) {
            var byPartition: [Int32: [Record]] = [:]
            let now = WallClock.now()
            for index in batchStart..<min(orders, batchStart + 500) {
                let orderId = "order-\(index)"
                let total = Double((index * 37) % 2000)
                let variables: [String: JSONValue] = [
                    "order": .object(["id": .string(orderId), "total": .number(total), "items": .number(Double(1 + index % 4))]),
                ]
                let command = Record.command(
                    .createInstance, key: orderId,
                    value: .instance(InstanceRecord(
                        processId: "order-process", processVersion: 1, businessKey: orderId, variables: variables,
                        deploymentPosition: deployments)),
                    timestamp: now)
                byPartition[try writer.partition(of: orderId), default: []].append(command)
            }
            for (partition, commands) in byPartition.sorted(by: { $0.key < $1.key }) { try writer.append(commands, partition: partition) }
        }
    }

    func waitUntil(_ loop: EngineLoop, _ what: String, _ done: (EngineLoop.Statistics) -> Bool) async throws {
        var lastPrint = WallClock.now()
        while true {
            try await Task.sleep(nanoseconds: 100_000_000)
            let now = loop.current
            if done(now) { return }
            if WallClock.now() - lastPrint >= 1000 {
                print("  ... created \(now.instancesCreated), completed \(now.instancesCompleted), active \(now.activeInstances), open incidents \(now.openIncidents)")
                lastPrint = WallClock.now()
            }
        }
    }

    private func printSummary(log: any Log, statistics: EngineLoop.Statistics, seconds: Double, data: DataDirectory) async throws {
        let timeline = try Timeline.read(log)
        let latencies = timeline.latencies.sorted()
        func percentile(_ p: Double) -> Int64 { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        print("\nsummary")
        print("  orders completed:      \(timeline.completed.count) of \(orders)")
        print("  incidents open:        \(statistics.openIncidents) (payments whose retries ran out)")
        print("  payment retries:       \(timeline.failures) failed attempt(s) retried or exhausted")
        print("  throughput:            \(Int(Double(timeline.completed.count) / seconds)) orders/s completed (\(Int(Double(statistics.records) / seconds)) journal records/s) in \(String(Int(seconds * 10) / 10).padded()) s")
        print("  start->end latency:    p50 \(percentile(0.5)) ms, p99 \(percentile(0.99)) ms")
        let example = "order-3"
        print("\nbaton replay --instance \(example)   (its first payment attempt failed)")
        var catalog = DeploymentCatalog()
        try catalog.refresh(from: log)
        let history = try InstanceHistory.collect(example, log: log, catalog: catalog)
        history.lines(catalog: catalog).forEach { print("  \($0)") }
    }

    private func verifyEveryOrderCompletedOnce(_ log: any Log) throws {
        let timeline = try Timeline.read(log)
        let duplicates = timeline.completedTwice
        print("\nfrom the journal: \(timeline.completed.count) of \(orders) orders completed, \(duplicates) completed twice, \(timeline.elementsLeftTwice) element instances left twice")
        guard timeline.completed.count == orders, duplicates == 0, timeline.elementsLeftTwice == 0 else {
            throw ValidationError("the demo did not complete every order exactly once")
        }
        print("every order completed exactly once")
    }
}

extension String {
    func padded() -> String { self }
}

/// What the journal says about the demo's instances.
struct Timeline {
    var created: [String: Int64] = [:]
    var completed: [String: Int64] = [:]
    var completedTwice = 0
    var createdTwice = 0
    var elementsLeftTwice = 0
    var failures = 0
    var messagesCorrelated = 0
    /// Messages correlated by a later step than the one that published them.
    var messagesBuffered = 0

    var latencies: [Int64] { completed.compactMap { key, end in created[key].map { end - $0 } } }

    static func read(_ log: any Log) throws -> Timeline {
        var timeline = Timeline()
        var left: Set<Int64> = []
        for partition in try 0..<log.partitionCount(of: Topics.journal) {
            let journal = TopicPartition(Topics.journal, partition)
            var cursor: Int64 = 0
            while true {
                let entries = try log.read(journal, from: cursor, limit: 5000)
                guard let last = entries.last else { break }
                cursor = last.position + 1
                for entry in entries {
                    guard let step = try JournalEntry.step(entry, partition: partition) else { continue }
                    for record in step.records where record.recordType == .event {
                        switch record.intent {
                        case .instanceCreated:
                            if timeline.created.updateValue(record.timestamp, forKey: record.key) != nil { timeline.createdTwice += 1 }
                        case .messageCorrelated:
                            timeline.messagesCorrelated += 1
                            if case .message(let value) = record.value, value.messageKey >> 20 & 0xF_FFFF_FFFF != record.sourcePosition {
                                timeline.messagesBuffered += 1
                            }
                        case .instanceCompleted:
                            if timeline.completed.updateValue(record.timestamp, forKey: record.key) != nil { timeline.completedTwice += 1 }
                        case .taskFailed: timeline.failures += 1
                        case .elementCompleted, .elementTerminated:
                            if case .element(let value) = record.value, !left.insert(value.elementInstanceKey).inserted { timeline.elementsLeftTwice += 1 }
                        default: break
                        }
                    }
                }
            }
        }
        return timeline
    }
}
