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
    @Option(help: "Open loop: seconds to start instances for (each rate of a sweep alike).") var duration = 10
    @Option(help: "Open loop at each of these rates in turn, e.g. 'rate=100,200,400' (or just the numbers): a latency/throughput curve, also drawn as an SVG chart beside --output.")
    var sweep: String?
    @Option(help: "How long each task takes in the in-process workers, ms.") var taskTimeMs = 0
    @Option(help: "Most tasks each in-process worker subscription handles at once.") var maxConcurrent = 64
    @Flag(help: "Answer no task in this process: workers run elsewhere.") var externalWorkers = false
    @Option(help: "The variables every instance starts with, as a JSON object.") var variables = "{}"
    @Option(help: "Adds a string variable 'payload' of this many bytes to every instance (0 to 512000), e.g. 10240 for 10 KB variables.")
    var payloadBytes = 0
    @Option(help: "Instances run (closed loop) and left out of the figures before the load starts, so that the engine has its partitions and the workers their task topics (on Kafka, joining a consumer group takes a second or more).")
    var warmup = 200
    @Option(help: "Give up when no instance completes for this many seconds.") var stallSeconds = 60
    @Flag(help: "Skip the raw log baseline (the log alone, measured after the load in the same run).") var noBaseline = false
    @Flag(help: "Print the result as one JSON object.") var json = false
    @Option(help: "Also write the result as JSON to this file (and, with --sweep, the chart as an SVG file of the same name ending in .svg).")
    var output: String?

    func validate() throws {
        guard warmup >= 0 else { throw ValidationError("--warmup must be 0 or more") }
        guard instances > 0, inFlight > 0 else { throw ValidationError("--instances and --in-flight must be at least 1") }
        if let rate { guard rate > 0, rate <= 1_000_000 else { throw ValidationError("--rate must be 1 to 1000000 instances per second") } }
        guard duration > 0, duration <= 86_400 else { throw ValidationError("--duration must be 1 to 86400 seconds") }
        guard taskTimeMs >= 0, taskTimeMs <= 3_600_000 else { throw ValidationError("--task-time-ms must be 0 to 3600000") }
        guard maxConcurrent > 0, stallSeconds > 0 else { throw ValidationError("--max-concurrent and --stall-seconds must be at least 1") }
        guard payloadBytes >= 0, payloadBytes <= 512_000 else { throw ValidationError("--payload-bytes must be 0 to 512000") }
        if sweep != nil, rate != nil { throw ValidationError("give --rate or --sweep, not both") }
        _ = try sweepRates()
    }

    /// The rates of `--sweep`, checked.
    func sweepRates() throws -> [Int]? {
        guard let sweep else { return nil }
        let list = sweep.hasPrefix("rate=") ? String(sweep.dropFirst(5)) : sweep
        let rates = list.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.filter { $0 != " " }) }
        guard !rates.isEmpty, rates.count <= 50, rates.allSatisfy({ ($0 ?? 0) > 0 && ($0 ?? 0) <= 1_000_000 }) else {
            throw ValidationError("--sweep must be up to 50 rates from 1 to 1000000, comma-separated, e.g. 'rate=100,200,400' (got '\(sweep.prefix(100))')")
        }
        return rates.map { $0! }
    }

    func run() async throws {
        var startVariables = try parseVariables(variables)
        if payloadBytes > 0 { startVariables["payload"] = .string(String(repeating: "x", count: payloadBytes)) }
        let bpmn = try POSIX.readFile(file)
        var data = data
        try BenchLoad.prepare(&data)
        let log = try data.openLog(extraTopics: [BenchBaseline.topic: data.partitions])
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
        let partitions = try log.partitionCount(of: Topics.journal)
        let place = data.kafka.map { "Kafka \($0) (topic prefix \(data.topicPrefix))" } ?? "the embedded log in \(data.path)"
        let rates = try sweepRates() ?? rate.map { [$0] }
        func openLoopText(_ rate: Int) -> String { "open loop, \(rate) instances/s for \(duration) s" }
        let loadText = rates.map { $0.count == 1 ? openLoopText($0[0]) : "open loop at \($0.map(String.init).joined(separator: ", ")) instances/s, \(duration) s each" }
            ?? "closed loop, \(instances) instances, at most \(inFlight) in flight"
        if !json {
            print("bench: \(file), process \(processId), on \(place), \(partitions) journal partition(s); \(loadText); " +
                  (externalWorkers ? "external workers" : "in-process workers for \(topics.isEmpty ? "no task topic" : topics.joined(separator: ", ")), \(taskTimeMs) ms per task"))
        }

        var catalog = DeploymentCatalog()
        try catalog.refresh(from: log)
        let version = catalog.registry.latestVersion(of: processId) ?? 1
        let runId = "bench-\(getpid())-\(WallClock.now())-"
        func load(_ name: String) -> BenchLoad {
            BenchLoad(log: log, processId: processId, version: version, deployments: deployed.deploymentsEnd, variables: startVariables, prefix: runId + name + "-")
        }
        let progress = json ? nil : BenchLoad.progress
        var results: [BenchResult] = []
        do {
            var completed = 0
            if warmup > 0 {
                if !json { print("  warming up: \(warmup) instances") }
                let warming = load("warmup")
                _ = try await warming.closedLoop(count: warmup, inFlight: inFlight, loop: loop, progress: nil)
                try await warming.waitForCompletion(of: warmup, started: warmup, loop: loop, stallSeconds: stallSeconds, progress: progress)
                completed = warmup
            }
            let phaseRates: [Int?] = rates.map { $0.map { Optional($0) } } ?? [nil]
            for (index, phaseRate) in phaseRates.enumerated() {
                let phase = load("p\(index)")
                let before = try BenchLoad.Counters.now(log: log)
                let started: Int
                if let phaseRate {
                    started = try await phase.openLoop(rate: phaseRate, seconds: duration, loop: loop, progress: progress)
                } else {
                    started = try await phase.closedLoop(count: instances, inFlight: inFlight, loop: loop, progress: progress)
                }
                completed += started
                try await phase.waitForCompletion(of: completed, started: started, loop: loop, stallSeconds: stallSeconds, progress: progress)
                let after = try BenchLoad.Counters.now(log: log)
                let journal = try BenchJournal.read(log, prefix: phase.prefix, from: before.journalEnds, to: after.journalEnds)
                let text = phaseRate.map(openLoopText) ?? loadText
                results.append(BenchResult(
                    file: file, processId: processId, backend: data.kafka == nil ? "file" : "kafka", load: text, rate: phaseRate,
                    started: started, seconds: Double(after.milliseconds - before.milliseconds) / 1000,
                    cpuSeconds: after.cpuSeconds - before.cpuSeconds, journal: journal))
                if !json, phaseRates.count > 1 { print(results.last!.table) }
            }
        } catch {
            worker.shutdown()
            loop.stop()
            throw error
        }
        worker.shutdown()
        try await workers.value
        loop.stop()
        try await engine.value

        var baseline: BenchBaseline?
        if !noBaseline, let measured = results.max(by: { $0.journal.entries < $1.journal.entries }), measured.journal.entries > 0 {
            if !json { print("  baseline: the log alone, \(min(200_000, max(1_000, measured.journal.entries))) messages of \(measured.journal.bytes / measured.journal.entries) bytes") }
            baseline = try BenchBaseline.measure(
                log, partitions: partitions, messages: min(200_000, max(1_000, measured.journal.entries)),
                messageBytes: measured.journal.bytes / measured.journal.entries)
        }
        let report = BenchReport(results: results, baseline: baseline, sweep: rates != nil && rates!.count > 1 || sweep != nil)
        print(json ? report.json.jsonText : report.table)
        if let output {
            try POSIX.makeDirectories(POSIX.directory(containing: output))
            try POSIX.writeAtomically(Array(report.json.jsonText.utf8), to: output, directory: POSIX.directory(containing: output))
            if report.sweep {
                let chart = BenchReport.chartPath(output)
                try POSIX.writeAtomically(Array(report.svg.utf8), to: chart, directory: POSIX.directory(containing: chart))
                if !json { print("wrote \(output) and \(chart)") }
            } else if !json {
                print("wrote \(output)")
            }
        }
    }
}
