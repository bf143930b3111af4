import ArgumentParser
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonWorker
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `baton bench`: a throughput and latency benchmark of any BPMN file, on the embedded log or
/// Kafka, with the engine and (unless told otherwise) workers in this process.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput and start-to-end latency of a BPMN process on the embedded log or Kafka.",
        discussion: """
            Deploys FILE to a fresh log (the embedded log in --data-dir, default \
            ./baton-data-bench, removed first if an earlier bench made it; or, with --kafka, \
            topics under a fresh --topic-prefix), runs the engine in this process and \
            starts instances of its process, then prints what it measured.

            Load: closed loop by default (--instances started, at most --in-flight of them \
            running at once: the way to find the most instances per second); or open loop with \
            --rate R --duration S (R instances started per second whether or not earlier ones \
            are done: the way to measure latency at a given load).

            Workers: every task topic of the file's processes is answered in this process \
            (complete, after --task-time-ms); with --external-workers none are, and workers you \
            run elsewhere ('baton worker', the gateway's clients) answer them.

            Latency is start to end: from the append of an instance's createInstance command \
            to the engine step that completes it, both read back from the journal (so it \
            includes queueing before the engine, every task's round trip and every fsync \
            but the last). The result: instances/s, journal records/s and bytes/s, CPU \
            seconds per instance of this process, latency p50/p99/p99.9/max, as a table or \
            --json.
            """)

    @Argument(help: "The BPMN file to run.") var file: String
    @OptionGroup var data: DataDirectory
    @Option(help: "The process to start (default: the file's only executable process).") var process: String?
    @Option(help: "Closed loop: how many instances to start.") var instances = 10_000
    @Option(help: "Closed loop: most instances running at once.") var inFlight = 1_000
    @Option(help: "Open loop: instances started per second (with --duration).") var rate: Int?
    @Option(help: "Open loop: seconds to start instances for.") var duration = 10
    @Option(help: "How long each task takes in the in-process workers, ms.") var taskTimeMs = 0
    @Option(help: "Most tasks each in-process worker subscription handles at once.") var maxConcurrent = 64
    @Flag(help: "Answer no task in this process: workers run elsewhere.") var externalWorkers = false
    @Option(help: "The variables every instance starts with, as a JSON object.") var variables = "{}"
    @Option(help: "Instances run (closed loop) and left out of the figures before the load starts, so that the engine has its partitions and the workers their task topics (on Kafka, joining a consumer group takes a second or more).")
    var warmup = 200
    @Option(help: "Give up when no instance completes for this many seconds.") var stallSeconds = 60
    @Flag(help: "Print the result as one JSON object.") var json = false

    func validate() throws {
        guard warmup >= 0 else { throw ValidationError("--warmup must be 0 or more") }
        guard instances > 0, inFlight > 0 else { throw ValidationError("--instances and --in-flight must be at least 1") }
        if let rate { guard rate > 0, rate <= 1_000_000 else { throw ValidationError("--rate must be 1 to 1000000 instances per second") } }
        guard duration > 0, duration <= 86_400 else { throw ValidationError("--duration must be 1 to 86400 seconds") }
        guard taskTimeMs >= 0, taskTimeMs <= 3_600_000 else { throw ValidationError("--task-time-ms must be 0 to 3600000") }
        guard maxConcurrent > 0, stallSeconds > 0 else { throw ValidationError("--max-concurrent and --stall-seconds must be at least 1") }
    }

    func run() async throws {
        let startVariables = try parseVariables(variables)
        let bpmn = try POSIX.readFile(file)
        var data = data
        if data.kafka != nil, data.topicPrefix.isEmpty { data.topicPrefix = "bench-\(getpid())-\(WallClock.now())." }
        if data.kafka == nil {
            // Never the user's data: the default folder is the bench's own, and a folder is
            // removed only when a bench made it.
            if data.path == DataDirectory.defaultPath { data.path = "./baton-data-bench" }
            let marker = data.path + "/.baton-bench"
            if POSIX.exists(data.path), !POSIX.exists(marker) {
                throw ValidationError("\(data.path) exists and was not made by 'baton bench': it starts from an empty folder and removes it first; give --data-dir a new folder")
            }
            POSIX.removeTree(data.path)
            try POSIX.makeDirectories(data.path)
            try POSIX.writeAtomically([], to: marker, directory: data.path)
        }
        let log = try data.openLog()
        let deployed = try DeploymentCatalog.deploy(bpmn, fileName: file, to: log)
        let processes = deployed.compiled.processes.compactMap(\.executable)
        let processId = try BenchLoad.processToStart(processes.map(\.processId), asked: process, file: file)
        let topics = Set(processes.flatMap { $0.elements.compactMap { $0.task?.topic } }).sorted()

        let loop = EngineLoop(log: log, snapshots: data.snapshots(log), clock: WallClock.now, warn: { print("warning: \($0)") })
        let engine = Task { try await DedicatedThread.run { try loop.runBlocking() } }
        let worker = Worker(transport: data.taskTransport(log), workerId: "bench-worker")
        if !externalWorkers {
            for topic in topics {
                worker.subscribe(topic: topic, maxConcurrent: maxConcurrent) { [taskTimeMs] _ in
                    if taskTimeMs > 0 { try await Task.sleep(nanoseconds: UInt64(taskTimeMs) * 1_000_000) }
                    return .complete()
                }
            }
        }
        let workers = Task { try await worker.run() }
        let where_ = data.kafka.map { "Kafka \($0) (topic prefix \(data.topicPrefix))" } ?? "the embedded log in \(data.path)"
        let loadText = rate.map { "open loop, \($0) instances/s for \(duration) s" } ?? "closed loop, \(instances) instances, at most \(inFlight) in flight"
        if !json {
            print("bench: \(file), process \(processId), on \(where_), \(try log.partitionCount(of: Topics.journal)) journal partition(s); \(loadText); " +
                  (externalWorkers ? "external workers" : "in-process workers for \(topics.isEmpty ? "no task topic" : topics.joined(separator: ", ")), \(taskTimeMs) ms per task"))
        }

        var catalog = DeploymentCatalog()
        try catalog.refresh(from: log)
        let version = catalog.registry.latestVersion(of: processId) ?? 1
        let load = BenchLoad(log: log, processId: processId, version: version, deployments: deployed.deploymentsEnd, variables: startVariables, prefix: "bench-\(getpid())-\(WallClock.now())-m")
        let started: Int
        var before = BenchLoad.Counters.now(loop: loop)
        do {
            if warmup > 0 {
                let warming = BenchLoad(log: log, processId: processId, version: version, deployments: deployed.deploymentsEnd, variables: startVariables, prefix: load.prefix.dropLast() + "w")
                if !json { print("  warming up: \(warmup) instances") }
                _ = try await warming.closedLoop(count: warmup, inFlight: inFlight, loop: loop, progress: nil)
                try await warming.waitForCompletion(of: warmup, started: warmup, loop: loop, stallSeconds: stallSeconds, progress: json ? nil : BenchLoad.progress)
            }
            before = BenchLoad.Counters.now(loop: loop)
            if let rate {
                started = try await load.openLoop(rate: rate, seconds: duration, loop: loop, progress: json ? nil : BenchLoad.progress)
            } else {
                started = try await load.closedLoop(count: instances, inFlight: inFlight, loop: loop, progress: json ? nil : BenchLoad.progress)
            }
            try await load.waitForCompletion(of: warmup + started, started: started, loop: loop, stallSeconds: stallSeconds, progress: json ? nil : BenchLoad.progress)
        } catch {
            worker.shutdown()
            loop.stop()
            throw error
        }
        let after = BenchLoad.Counters.now(loop: loop)
        worker.shutdown()
        try await workers.value
        loop.stop()
        try await engine.value

        let journal = try BenchJournal.read(log, prefix: load.prefix)
        let result = BenchResult(
            file: file, processId: processId, backend: data.kafka == nil ? "file" : "kafka", load: loadText,
            started: started, completed: journal.latencies.count, seconds: Double(after.milliseconds - before.milliseconds) / 1000,
            records: after.records - before.records, entries: journal.entries, bytes: journal.bytes,
            cpuSeconds: after.cpuSeconds - before.cpuSeconds, latencies: journal.latencies.sorted())
        print(json ? result.json.jsonText : result.table)
    }
}
