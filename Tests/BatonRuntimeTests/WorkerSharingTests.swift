import BatonFileLog
import BatonKafka
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Worker processes of one task topic share its partitions (one consumer group), on the
/// file log as on Kafka: two, then four of them, one killed with SIGKILL mid-run; every
/// task is completed once and every worker did some of the work.
@Suite(.serialized)
struct WorkerSharingTests {
    static let binary = CrashTests.binary
    static let instances = 240

    @Test(arguments: ["file", "kafka"])
    func fourWorkerProcessesShareATopicAndOneDies(_ backend: String) throws {
        try #require(TestFiles.exists(Self.binary), "\(Self.binary) is missing: build with 'swift build --build-tests' (make test does)")
        let directory = TemporaryDirectory("baton-sharing")
        defer { directory.remove() }
        let cli = CommandLineTests()
        let service = try ConfiguredWorkerTests.Service(directory: directory)
        defer { service.stop() }
        let backendUnderTest = try BackendUnderTest(backend, label: "sharing", directory: directory, topics: [Topics.journal: 2])
        let where_ = backendUnderTest.arguments
        let log = backendUnderTest.log
        let file = directory.path + "/shared.bpmn"
        try writeFile(file, oneTaskProcess(id: "shared", topic: "shared"))
        let deployed = cli.baton("deploy \(backendUnderTest.quoted) '\(file)'")
        #expect(deployed.status == 0, "\(deployed.output)")
        try writeFile(directory.path + "/workers.yaml", Array("topics:\n  shared: {http: {url: '\(service.url)/slow?ms=100'}, maxConcurrent: 2}\n".utf8))

        let engine = try ChildProcess.spawn(Self.binary, ["run"] + where_, output: directory.path + "/engine.out", errorsToOutput: true)
        defer { engine.kill(SIGKILL); _ = engine.wait() }
        var workers: [String: ChildProcess] = [:]
        func startWorker(_ id: String) throws {
            workers[id] = try ChildProcess.spawn(
                Self.binary, ["worker", "--config", directory.path + "/workers.yaml", "--worker-id", id] + where_,
                output: directory.path + "/\(id).out", errorsToOutput: true)
        }
        defer { for worker in workers.values { worker.kill(SIGKILL); _ = worker.wait() } }
        try startWorker("w1")
        try startWorker("w2")

        let commands = CommandWriter(log: log)
        let ids = (0..<Self.instances).map { "shared-\($0)" }
        for id in ids {
            try commands.append(.command(.createInstance, key: id, value: .instance(InstanceRecord(processId: "shared", processVersion: 1)), timestamp: 1))
        }
        func completed() -> [String: [String]] {
            var byId: [String: [String]] = [:]
            for partition in Int32(0)..<2 {
                for entry in (try? readAll(log, TopicPartition(Topics.journal, partition))) ?? [] {
                    guard case .step(let step)? = try? JournalEntry.decode(entry, partition: partition) else { continue }
                    for record in step.records where record.intent == .taskCompleted {
                        if case .task(let task) = record.value { byId[record.key, default: []].append(task.workerId) }
                    }
                }
            }
            return byId
        }
        func waitUntil(_ count: Int, seconds: Int64 = 90) -> [String: [String]] {
            let deadline = WallClockMilliseconds.now() + seconds * 1000
            var done = completed()
            while done.count < count, WallClockMilliseconds.now() < deadline {
                usleep(100_000)
                done = completed()
            }
            return done
        }
        _ = waitUntil(Self.instances / 6)
        try startWorker("w3")
        try startWorker("w4")
        // The late workers get partitions handed over (on Kafka after a group rebalance).
        let deadline = WallClockMilliseconds.now() + 60_000
        while WallClockMilliseconds.now() < deadline {
            let working = Set(completed().values.flatMap { $0 })
            if working.contains("w3") && working.contains("w4") { break }
            usleep(100_000)
        }
        workers["w2"]!.kill(SIGKILL)
        _ = workers.removeValue(forKey: "w2")!.wait()
        let done = waitUntil(Self.instances)

        let engineOutput = String(decoding: (try? POSIX.readFile(directory.path + "/engine.out")) ?? [], as: UTF8.self)
        #expect(done.count == Self.instances, "completed \(done.count) of \(Self.instances); engine: \(engineOutput.suffix(2000))")
        // Every task completed once: a task a dead worker held was answered by another, and
        // a second answer (a task run twice) was rejected.
        #expect(done.values.allSatisfy { $0.count == 1 }, "\(done.filter { $0.value.count != 1 })")
        // Each worker took part: the late ones got partitions handed over.
        let byWorker = Dictionary(grouping: done.values.flatMap { $0 }, by: { $0 }).mapValues(\.count)
        for id in ["w1", "w2", "w3", "w4"] { #expect((byWorker[id] ?? 0) > 0, "\(id) completed nothing: \(byWorker)") }
        // The service saw every instance's task (some twice: those the killed worker held).
        let calls = service.calls()["/slow"] ?? [:]
        #expect(calls.count == Self.instances, "the service saw \(calls.count) instances")
        for (_, worker) in workers { worker.kill(SIGTERM) }
        for (id, worker) in workers { #expect(worker.wait() == 0, "\(id) did not stop cleanly") }
        workers = [:]
    }
}
