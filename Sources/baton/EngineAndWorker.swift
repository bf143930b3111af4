import ArgumentParser
import BatonConfiguredWorkers
import BatonKafka
import BatonLog
import BatonModel
import BatonRuntime
import BatonStorage
import BatonWorker
import Logging
import ServiceLifecycle

/// `baton engine --kafka`: one engine replica of a consumer group over the journal.
struct EngineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Run an engine replica on Kafka: the journal partitions its consumer group assigns it.",
        discussion: """
            Start several on one cluster to share the journal's partitions. On assignment a \
            partition is rebuilt from its newest snapshot plus the journal's tail and the tail's \
            waiting tasks are re-published; on revocation it is dropped after the step in flight. \
            Snapshots go to the baton.snapshots topic. A replica killed with SIGKILL loses nothing: another takes its partitions over, and a \
            step it wrote twice is ignored by the fold.
            """)

    @OptionGroup var data: DataDirectory
    @OptionGroup var metrics: MetricsOptions
    @Option(help: "The engines' consumer group.") var group = "baton-engines"
    @Flag(help: "Do not copy every step's records to the baton.events topic (topics/README.md).") var noEvents = false

    func validate() throws {
        guard data.kafka != nil else { throw ValidationError("'baton engine' runs on Kafka: give --kafka HOST:PORT ('baton run' is the embedded engine)") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "baton.engine")
        let gauges = metrics.bootstrap()
        guard let log = try data.openLog() as? KafkaLog else { throw ValidationError("--kafka is required") }
        _ = try log.partitionCount(of: Topics.journal)  // creates the journal if it is missing
        let membership = try KafkaGroupMembership(log.configuration, group: data.topicPrefix + group, topic: data.topicPrefix + Topics.journal)
        var options = RuntimeOptions()
        options.exportEvents = !noEvents
        let loop = GroupEngineLoop(log: log, snapshots: data.snapshots(log), options: options, clock: WallClock.now, warn: { logger.info("\($0)") })
        let service = GroupEngineService(loop: loop, ownership: KafkaOwnership(membership: membership))
        let endpoint = try await metrics.start(gauges, log: log, engine: { loop.current })
        let serviceGroup = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await serviceGroup.run()
        try await endpoint?.stop()
    }
}

/// `baton worker`: workers as a process of their own: configured topics (HTTP endpoints or
/// commands, no code) or the demo's order workers.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run workers as a process of their own: topics mapped to HTTP endpoints or commands by --config, or the demo's.",
        discussion: """
            With --config FILE (YAML or JSON; docs/WORKERS.md), each topic's tasks are POSTed to \
            an HTTP endpoint or given to a command on stdin, and what comes back answers them: \
            a result completes the task, a configured status or exit code throws a BPMN error, \
            5xx, timeouts, connection errors and other exits fail it with the topic's retries \
            and retry timeout (an incident after the last). Locks are extended while a call runs. \
            Start several worker processes on one log: the workers of a topic share its \
            partitions (a consumer group), and a worker that dies hands its tasks to the others. \
            SIGTERM or SIGINT: stop fetching, answer what is in flight, then leave the group.
            """)

    @OptionGroup var data: DataDirectory
    @OptionGroup var metrics: MetricsOptions
    @Option(help: "A workers file (YAML or JSON) mapping task topics to HTTP endpoints or commands.") var config: String?
    @Option(help: "This worker's id in task answers (default: the file's workerId, else worker-<pid>).") var workerId: String?
    @Flag(help: "Run the demo's order workers instead.") var demo = false
    @Flag(inversion: .prefixedNo, help: "Whether the demo's payment worker fails some orders.") var paymentFailures = true
    @Option(help: "Milliseconds each demo task takes (to watch tasks move between workers).") var taskDelayMs: UInt64 = 0

    func validate() throws {
        guard demo != (config != nil) else { throw ValidationError("say which workers to run: --config FILE, or --demo") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "baton.worker")
        let gauges = metrics.bootstrap()
        var configured: ConfiguredWorkers?
        if let config {
            var info = stat()
            if stat(config, &info) == 0, info.st_size > WorkerConfiguration.maximumBytes {
                throw ValidationError("\(config): the file has \(info.st_size) bytes; a workers file may have at most \(WorkerConfiguration.maximumBytes)")
            }
            let text = String(decoding: try POSIX.readFile(config), as: UTF8.self)
            configured = ConfiguredWorkers(configuration: try WorkerConfiguration.load(text, file: config, environment: POSIX.environment()))
        }
        let id = workerId ?? configured?.configuration.workerId ?? "worker-\(getpid())"
        let log = try data.openLog()
        let worker = Worker(transport: data.taskTransport(log), workerId: id)
        if let configured {
            configured.subscribe(worker)
            logger.info("worker \(id): \(configured.configuration.topics.map(\.topic).joined(separator: ", "))")
        } else {
            DemoWorkers(paymentFailures: paymentFailures, taskDelayMilliseconds: taskDelayMs).subscribe(worker)
        }
        let endpoint = try await metrics.start(gauges, log: log, worker: worker, lagTopics: worker.topics)
        let serviceGroup = ServiceGroup(
            configuration: .init(services: [WorkerService(worker: worker)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await serviceGroup.run()
        } catch {
            try await configured?.shutdown()
            throw error
        }
        try await endpoint?.stop()
        try await configured?.shutdown()
    }
}

/// Adapts Kafka group membership to the runtime's view of partition ownership.
/// Used only by the engine loop's thread after it starts.
final class KafkaOwnership: PartitionOwnership, @unchecked Sendable {
    let membership: KafkaGroupMembership
    init(membership: KafkaGroupMembership) { self.membership = membership }

    func poll() -> (assigned: [Int32], revoked: [Int32]) {
        var assigned: [Int32] = []
        var revoked: [Int32] = []
        for change in membership.changes() {
            switch change {
            case .assigned(let partitions): assigned += partitions
            case .revoked(let partitions):
                revoked += partitions
                assigned.removeAll { partitions.contains($0) }
            }
        }
        return (assigned, revoked)
    }
}

/// The group engine loop as a service.
struct GroupEngineService: Service, @unchecked Sendable {
    let loop: GroupEngineLoop
    let ownership: KafkaOwnership

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await DedicatedThread.run { [loop, ownership] in try loop.runBlocking(ownership: ownership) }
        } onGracefulShutdown: {
            loop.stop()
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// The Kafka transport speaks the worker SDK's protocol as it is.
extension KafkaTaskTransport: TaskTransport {}
