import ArgumentParser
import BatonGateway
import BatonLog
import BatonRuntime
import BatonWorker
import Logging
import ServiceLifecycle

/// `baton run`: the engine on the embedded log, until SIGINT or SIGTERM.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the engine on the embedded log (and, with --demo-workers, the demo's workers).",
        discussion: """
            Recovers every journal partition (newest valid snapshot, then the journal's tail), \
            re-publishes the waiting tasks of that tail (a snapshot is written only once the task \
            messages before it are durable), then processes commands appended by \
            anyone ('baton start', 'baton deploy', workers, 'baton incidents retry') within \
            milliseconds. Due timers, expired task locks and due retries become commands in the \
            journal. SIGINT or SIGTERM stop it after the step in flight, with a snapshot; every \
            acknowledged append is already on disk (fsync).
            """)

    @OptionGroup var data: DataDirectory
    @OptionGroup var metrics: MetricsOptions
    @OptionGroup var gatewayOptions: GatewayOptions

    @Option(help: "Also serve the REST gateway (Camunda 7's /engine-rest, Camunda 8's /v2) and the pages under /ui on this port (0: any free port, printed at start).")
    var gatewayPort: Int?

    @Flag(help: "Also run the demo workers for bpmn/order-process.bpmn's task topics in this process.")
    var demoWorkers = false

    @Flag(inversion: .prefixedNo, help: "Whether the demo's payment worker fails some orders (5% once, 1% until retries run out).")
    var paymentFailures = true

    @Option(help: "Task lock duration in milliseconds, after which an unanswered task is published again.")
    var lockDuration: Int64 = 300_000

    @Option(help: "Also run 'baton ingest' with this rules file in this process (bpmn/order-events.yaml).")
    var ingestRules: String?

    @Flag(help: "Do not copy every step's records to the baton.events topic (topics/README.md).")
    var noEvents = false

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "baton")
        let gauges = metrics.bootstrap()
        let log = try data.openLog()
        var options = RuntimeOptions()
        options.engine.lockDuration = lockDuration
        options.exportEvents = !noEvents
        let loop = EngineLoop(
            log: log, snapshots: data.snapshots(log), options: options, clock: WallClock.now,
            warn: { logger.warning("\($0)") })
        var services: [any Service] = [EngineService(loop: loop)]
        var demoWorker: Worker?
        if demoWorkers {
            let worker = Worker(transport: data.taskTransport(log), workerId: "demo-worker")
            DemoWorkers(paymentFailures: paymentFailures).subscribe(worker)
            services.append(WorkerService(worker: worker))
            demoWorker = worker
        }
        if let ingestRules {
            services.append(IngestService(ingestor: try makeIngestor(rulesFile: ingestRules, log: log, data: data)))
        }
        if let gatewayPort {
            services.append(GatewayService(gateway: try Gateway(
                log: log, transport: data.taskTransport(log), snapshots: data.snapshots(log),
                configuration: try gatewayOptions.configuration(port: gatewayPort))))
        }
        let endpoint = try await metrics.start(gauges, log: log, engine: { loop.current }, worker: demoWorker)
        let partitions = try log.partitionCount(of: "baton.journal")
        logger.info("baton run: data in \(data.path), \(partitions) journal partition(s)\(demoWorkers ? ", demo workers on" : "")")
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        try await endpoint?.stop()
        logger.info("baton run: stopped cleanly")
    }
}
