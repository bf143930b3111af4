import ArgumentParser
import BatonGateway
import BatonLog
import BatonStorage
import BatonWorker
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// Where the REST gateway listens and whom it admits (`baton gateway`, `baton run --gateway-port`).
struct GatewayOptions: ParsableArguments {
    @Option(help: "Address the gateway listens on.") var gatewayHost = "127.0.0.1"

    @Option(help: ArgumentHelp("A credentials file: lines 'basic USER:PASSWORD' or 'bearer TOKEN' (# comments). Without it, BATON_GATEWAY_CREDENTIALS may hold the same lines; with neither, every request is admitted.", valueName: "file"))
    var credentials: String?

    @Option(help: "Largest request body in bytes (413 beyond).") var maximumBodyBytes = 4 << 20

    func configuration(port: Int) throws -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        configuration.host = gatewayHost
        configuration.port = port
        configuration.maximumBodyBytes = maximumBodyBytes
        if let credentials {
            let text = String(decoding: try POSIX.readFile(credentials), as: UTF8.self)
            configuration.credentials = try Credentials.parse(text, file: credentials)
        } else if let text = POSIX.environment()["BATON_GATEWAY_CREDENTIALS"] {
            configuration.credentials = try Credentials.parse(text.replacingSemicolons(), file: "BATON_GATEWAY_CREDENTIALS")
        }
        return configuration
    }
}

extension String {
    /// Environment variables hold one line: `;` separates credentials there.
    fileprivate func replacingSemicolons() -> String { String(map { $0 == ";" ? "\n" : $0 }) }
}

/// The gateway as a service: it stops listening on graceful shutdown.
struct GatewayService: Service {
    let gateway: Gateway

    func run() async throws {
        let gateway = gateway
        try await cancelWhenGracefulShutdown {
            try await gateway.run { port in
                let open = gateway.configuration.credentials.isEmpty ? " (no credentials configured: every request is admitted)" : ""
                let root = "http://\(gateway.configuration.host):\(port)"
                print("gateway: \(root)/engine-rest (Camunda 7) and \(root)/v2 (Camunda 8)\(open)")
                print("pages: \(root)/ui (processes, diagrams, instances at any journal position, incidents)")
                fflush(nil)
            }
        }
    }
}

/// `baton gateway`: the REST gateway as a process of its own.
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Serve Camunda 7's and Camunda 8's REST APIs (tasks and jobs, deployments, instances, incidents) and the pages under /ui over the log.",
        discussion: """
            Existing Camunda 7 workers and clients point at http://HOST:PORT/engine-rest, \
            Camunda 8 job workers and SDKs at http://HOST:PORT/v2, and run unchanged \
            (docs/GATEWAY.md lists what is served). The gateway holds no state: \
            commands are journal appends, durable before it answers; fetchAndLock reads the \
            task topics as a member of the workers' consumer groups and hands a task out once \
            the engine has granted the worker its lock; queries read a fold of the journal. \
            Run several gateways on one log; an engine ('baton run' or 'baton engine') must run \
            too. People open http://HOST:PORT/ui: processes, diagrams with their tokens and \
            incidents, instances at any journal position, incidents with retry (behind the same \
            credentials). TLS is left to a reverse proxy (docs/GATEWAY.md shows one).
            """)

    @OptionGroup var data: DataDirectory
    @OptionGroup var gatewayOptions: GatewayOptions
    @Option(help: "Port to listen on (0: any free port, printed at start).") var port = 8080

    func run() async throws {
        let log = try data.openLog()
        let gateway = try Gateway(
            log: log, transport: data.taskTransport(log), snapshots: data.snapshots(log), configuration: try gatewayOptions.configuration(port: port))
        let group = ServiceGroup(services: [GatewayService(gateway: gateway)], gracefulShutdownSignals: [.sigterm, .sigint], logger: .init(label: "baton.gateway"))
        try await group.run()
    }
}
