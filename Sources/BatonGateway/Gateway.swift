import BatonLog
import BatonModel
import BatonRuntime
import BatonWorker
import Hummingbird
import Logging
import NIOCore

/// How a gateway listens and what it accepts.
public struct GatewayConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (printed by `onRunning`).
    public var port = 8080
    /// Who may call it; empty: anyone (the gateway then says so at start).
    public var credentials = Credentials()
    /// Larger request bodies are refused with 413.
    public var maximumBodyBytes = 4 << 20
    /// The longest fetchAndLock long poll (Camunda's `asyncResponseTimeout` cap: 30 min).
    public var longPollMaximum: Int64 = 1_800_000
    /// How long a command waits for the engine's verdict before the gateway answers 503.
    public var verdictTimeout: Int64 = 10_000
    /// Most tasks one fetchAndLock may ask for.
    public var maximumTasksPerFetch = 1_000

    public init() {}
}

/// The REST gateway: Camunda 7's REST API (a subset, under `/engine-rest`) and Camunda 8's
/// Orchestration Cluster API (a subset, under `/v2`) over the log. It
/// holds no state of its own: commands are journal appends (durable before it answers),
/// fetchAndLock reads the task topics as a member of their workers' groups, and queries
/// read a fold of the journal (`ReadModel`). Several gateways may run against one log.
public final class Gateway: Sendable {
    public let log: any Log
    public let readModel: ReadModel
    public let claims: TaskClaims
    /// Commands from requests, gathered per partition (one write and fsync per batch).
    let appends: JournalAppends
    public let configuration: GatewayConfiguration

    public init(log: any Log, transport: any TaskTransport, snapshots: @escaping @Sendable (Int32) -> (any SnapshotStorage)?, configuration: GatewayConfiguration) throws {
        self.log = log
        self.configuration = configuration
        readModel = try ReadModel(log: log, snapshots: snapshots)
        appends = JournalAppends(log: log)
        claims = TaskClaims(transport: transport, log: log, readModel: readModel, verdictTimeout: configuration.verdictTimeout, appends: appends)
    }

    /// Serves until the task is cancelled; `onRunning` gets the port once it listens.
    public func run(onRunning: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router()
        router.add(middleware: GatewayMiddleware(credentials: configuration.credentials))
        EngineRest(gateway: self).register(on: router)
        OrchestrationRest(gateway: self).register(on: router)
        BatonApi(gateway: self).register(on: router)
        Pages(gateway: self).register(on: router)
        var settings = ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "Baton")
        settings.backlog = 1024
        let app = Application(
            router: router, configuration: settings,
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? 0) },
            logger: Logger(label: "baton.gateway", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.readModel.follow() }
            group.addTask { try await app.run() }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Appends one command on its correlationId's partition and waits for the engine's
    /// verdict on it; 503 when no engine answers in time.
    func submit(_ command: Record) async throws -> (partition: Int32, position: Int64, verdict: ReadModel.Verdict) {
        let (partition, position) = try await appends.append(command)
        guard let verdict = try await readModel.verdict(partition: partition, position: position, timeout: configuration.verdictTimeout) else {
            throw GatewayError(
                .serviceUnavailable, type: "ProcessEngineException",
                "the command is in the journal (partition \(partition), position \(position)) but no engine has answered it within \(configuration.verdictTimeout) ms; is an engine running?")
        }
        return (partition, position, verdict)
    }

    /// The command starting `processId` at `version`. The instance's correlationId (its
    /// journal partition key) is its `correlationId` variable if it has one (a second start
    /// for it is then refused, one order one instance), else a fresh id.
    static func startCommand(processId: String, version: Int32, businessKey: String, variables: [String: JSONValue], catalog: DeploymentCatalog) -> Record {
        let explicit: String?
        if case .string(let id)? = variables["correlationId"], !id.isEmpty { explicit = id } else { explicit = nil }
        var generator = SystemRandomNumberGenerator()
        let fresh = { "rest-" + String(generator.next() as UInt64, radix: 16) + String(generator.next() as UInt64, radix: 16) }
        return Record.command(
            .createInstance, key: explicit ?? fresh(),
            value: .instance(InstanceRecord(
                processId: processId, processVersion: version, businessKey: businessKey, variables: variables,
                deploymentPosition: catalog.position, allowDuplicate: explicit == nil)),
            timestamp: WallClock.now())
    }

    /// The request body as bytes, at most `maximumBodyBytes` (413 beyond).
    func body(of request: Request) async throws(GatewayError) -> [UInt8] {
        do {
            let buffer = try await request.body.collect(upTo: configuration.maximumBodyBytes)
            return Array(buffer.readableBytesView)
        } catch {
            throw GatewayError(.contentTooLarge, type: "InvalidRequestException", "the request body is larger than \(configuration.maximumBodyBytes) bytes")
        }
    }

    /// The request body as a JSON object (400 naming what is wrong).
    func jsonObject(of request: Request) async throws(GatewayError) -> [String: JSONValue] {
        let bytes = try await body(of: request)
        if bytes.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 }) { return [:] }
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes)
        } catch {
            throw .invalid("the request body is not valid JSON: \(error)")
        }
        guard let object = json.objectValue else { throw .invalid("the request body must be a JSON object") }
        return object
    }
}

/// Authentication and Camunda's error bodies for every route.
struct GatewayMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let credentials: Credentials

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        func answer(_ error: GatewayError) -> Response {
            path.hasPrefix(OrchestrationRest.root + "/") ? GatewayResponse.problem(error, path: path) : GatewayResponse.error(error)
        }
        guard credentials.admits(request.headers[.authorization]) else {
            var response = answer(GatewayError(.unauthorized, type: "AuthenticationException", "missing or wrong credentials: send HTTP Basic or a bearer token"))
            response.headers[.wwwAuthenticate] = "Basic realm=\"baton\""
            return response
        }
        do {
            return try await next(request, context)
        } catch let error as GatewayError {
            return answer(error)
        } catch let error as HTTPError {
            return answer(GatewayError(error.status, type: error.status == .notFound ? "RestException" : "InvalidRequestException", error.body ?? "\(error.status.reasonPhrase)"))
        } catch {
            return answer(GatewayError(.internalServerError, type: "ProcessEngineException", "\(error)"))
        }
    }
}

/// JSON responses.
enum GatewayResponse {
    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response { json(value.jsonBytes, status: status) }

    static func noContent() -> Response { Response(status: .noContent) }

    static func error(_ error: GatewayError) -> Response { json(error.body, status: error.status) }

    static func problem(_ error: GatewayError, path: String) -> Response {
        Response(status: error.status, headers: [.contentType: "application/problem+json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: error.problem(path: path))))
    }
}
