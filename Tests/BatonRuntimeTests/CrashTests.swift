import BatonEngine
import BatonFileLog
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// kill -9 of a real `baton run --demo-workers` process at random moments, again and again
/// on the same data folder; then one run to the end. The journal must show every order
/// completed exactly once, no element instance left twice and no task result applied twice.
@Suite(.serialized)
struct CrashTests {
    static let binary = TestFiles.packageRoot + "/.build/debug/baton"
    static let kills = 20

    @Test func everyOrderCompletesExactlyOnceAcrossKills() throws {
        try #require(TestFiles.exists(Self.binary), "\(Self.binary) is missing: build with 'swift build --build-tests' (make test does)")
        let directory = TemporaryDirectory("baton-crash")
        defer { directory.remove() }
        let dataDir = directory.path + "/data"
        let log = try FileLog(directory: dataDir + "/log", topics: [Topics.journal: 2])
        _ = try DeploymentCatalog.deploy(try POSIX.readFile(TestFiles.examples + "/order-process.bpmn"), fileName: "order-process.bpmn", to: log)
        let ordersPerKill = 60
        let orders = ordersPerKill * (Self.kills + 1)
        let writer = CommandWriter(log: log)
        var streamed = 0
        // New orders keep arriving between kills, so every kill hits a process with work.
        func stream() throws {
            for index in streamed..<streamed + ordersPerKill {
                try writer.append(.command(
                    .createInstance, key: "crash-\(index)",
                    value: .instance(InstanceRecord(processId: "order-process", processVersion: 1, variables: ["order": .object(["total": .number(Double(index % 1500))])])),
                    timestamp: 1))
            }
            streamed += ordersPerKill
        }
        try stream()
        var generator = SplitMix64(seed: 20261127)
        let arguments = ["run", "--demo-workers", "--no-payment-failures", "--data-dir", dataDir, "--lock-duration", "2000"]
        var progress: [Int] = []
        for kill in 0..<Self.kills {
            try stream()
            let child = try ChildProcess.spawn(Self.binary, arguments)
            // Kill while it works: once the journal grows again, after a random moment. On
            // a machine busy with other tests that moment can come before any order
            // completes, so every fourth kill waits until one more order has completed.
            let deadline = WallClockMilliseconds.now() + 10_000
            if kill % 4 == 3 {
                let completed = try Self.completedOrders(dataDir)
                // Each look decodes the whole journal: not too often, the other tests run beside.
                while try Self.completedOrders(dataDir) <= completed, WallClockMilliseconds.now() < deadline { usleep(50_000) }
            } else {
                let before = try Self.journalLength(dataDir)
                while try Self.journalLength(dataDir) <= before, WallClockMilliseconds.now() < deadline { usleep(5_000) }
                usleep(UInt32(generator.next() % 250_000))
            }
            child.kill(SIGKILL)
            #expect(child.wait() == 128 + SIGKILL, "kill \(kill) hit a running process")
            progress.append(try Self.completedOrders(dataDir))
        }
        print("crash test: orders completed after each of \(Self.kills) kill -9: \(progress)")
        // The kills landed while work was going on, not before or after it.
        #expect(progress.contains { $0 > 0 && $0 < orders })
        // One last run, left alone until every order has completed (or a minute passes).
        let child = try ChildProcess.spawn(Self.binary, arguments)
        var completed = 0
        for _ in 0..<600 {
            usleep(100_000)
            completed = try Self.completedOrders(dataDir)
            if completed >= orders { break }
        }
        child.kill(SIGTERM)
        #expect(child.wait() == 0, "baton run stops cleanly on SIGTERM")
        #expect(completed == orders)
        try Self.checkExactlyOnce(dataDir, orders: orders)
    }

    /// Entries in every journal partition (a cheap sign of progress).
    static func journalLength(_ dataDir: String) throws -> Int64 {
        let log = try FileLog(directory: dataDir + "/log")
        return try (0..<log.partitionCount(of: Topics.journal)).reduce(Int64(0)) {
            $0 + (try log.endPosition(of: TopicPartition(Topics.journal, $1)))
        }
    }

    static func completedOrders(_ dataDir: String) throws -> Int {
        try completedOrders(in: try FileLog(directory: dataDir + "/log"))
    }

    static func completedOrders(in log: any Log) throws -> Int {
        var completed = 0
        for partition in try 0..<log.partitionCount(of: Topics.journal) {
            for entry in try readAll(log, TopicPartition(Topics.journal, partition)) {
                guard case .step(let step) = try JournalEntry.decode(entry, partition: partition) else { continue }
                completed += step.records.filter { $0.intent == .instanceCompleted }.count
            }
        }
        return completed
    }

    /// Replays every partition through the fold (as any replica would) and checks the
    /// effective history: completions, element exits and task results happen once each.
    static func checkExactlyOnce(_ dataDir: String, orders: Int) throws {
        try checkExactlyOnce(in: try FileLog(directory: dataDir + "/log"), orders: orders, prefix: "crash-")
    }

    static func checkExactlyOnce(in log: any Log, orders: Int, prefix: String) throws {
        var catalog = DeploymentCatalog()
        try catalog.refresh(from: log)
        var completedKeys: [String: Int] = [:]
        var leftElements: Set<Int64> = []
        var taskCompletions: [Int64: Int] = [:]
        var resultsPerOrder: [String: Int] = [:]
        for partition in try 0..<log.partitionCount(of: Topics.journal) {
            var engine = Engine(partition: partition, processes: catalog.registry)
            for entry in try readAll(log, TopicPartition(Topics.journal, partition)) {
                guard case .step(let step) = try JournalEntry.decode(entry, partition: partition) else { continue }
                let answered = engine.state.lastCommandPosition
                // Only the records the fold applies count: a step written twice adds nothing.
                for record in step.records where record.sourcePosition > answered {
                    engine.apply(record)
                    guard record.recordType == .event else { continue }
                    switch (record.intent, record.value) {
                    case (.instanceCompleted, _): completedKeys[record.key, default: 0] += 1
                    case (.elementCompleted, .element(let value)), (.elementTerminated, .element(let value)):
                        #expect(leftElements.insert(value.elementInstanceKey).inserted, "element instance \(value.elementInstanceKey) left twice")
                    case (.taskCompleted, .task(let value)):
                        taskCompletions[value.taskKey, default: 0] += 1
                        resultsPerOrder[record.key, default: 0] += 1
                    default: break
                    }
                }
            }
            #expect(engine.state.instances.count == 0, "partition \(partition) still has \(engine.state.instances.count) active instance(s)")
        }
        #expect(completedKeys.count == orders)
        #expect(completedKeys.values.allSatisfy { $0 == 1 })
        #expect(taskCompletions.values.allSatisfy { $0 == 1 }, "a task result was applied twice")
        // Validate, reserve, charge, ship, notify, and approval above 1000: no result lost.
        for index in 0..<orders {
            let expected = index % 1500 > 1000 ? 6 : 5
            #expect(resultsPerOrder["\(prefix)\(index)"] == expected, "\(prefix)\(index) has \(resultsPerOrder["\(prefix)\(index)"] ?? 0) task results")
        }
    }
}
