import BatonEngine
import BatonLog
import BatonModel
import BatonRuntime
import BatonWorker
import Hummingbird

/// Camunda 8's Orchestration Cluster REST API, the subset Baton serves under `/v2`
/// (docs/GATEWAY.md lists it): topology, deployments, process instances, jobs, incidents.
/// Keys are strings of digits, as Camunda 8 sends them; errors are problem details.
struct OrchestrationRest: Sendable {
    let gateway: Gateway
    static let root = "/v2"
    /// What Camunda 8 calls the tenant of everything when there are no tenants.
    static let defaultTenant = "<default>"
    /// The Camunda 8 API level the subset follows.
    static let version = "8.8.0"

    func register(on router: Router<BasicRequestContext>) {
        let rest = router.group(RouterPath(Self.root))
        rest.get("topology") { _, _ in GatewayResponse.json(topology()) }
        rest.post("deployments") { request, _ in try await deploy(request) }
        rest.post("process-instances") { request, _ in try await createInstance(request) }
        rest.post("process-instances/:key/cancellation") { _, context in try await cancelInstance(context) }
        rest.post("incidents/:key/resolution") { _, context in try await resolveIncident(context) }
        registerJobs(on: rest)
        registerMessages(on: rest)
        registerSignals(on: rest)
    }

    // MARK: Topology

    /// One broker holding every journal partition as leader: a Baton engine is what Camunda
    /// 8 calls a broker, and the log decides who leads.
    private func topology() -> JSONValue {
        let partitions = (0..<gateway.readModel.partitionCount).map { partition -> JSONValue in
            .object(["partitionId": .number(Double(partition + 1)), "role": .string("leader"), "health": .string("healthy"), "state": .string("active")])
        }
        return .object([
            "brokers": .array([.object([
                "nodeId": .number(0), "brokerId": .number(0), "host": .string(gateway.configuration.host),
                "port": .number(Double(gateway.configuration.port)), "partitions": .array(partitions), "version": .string(Self.version),
            ])]),
            "clusterId": .string("baton"), "clusterSize": .number(1), "partitionsCount": .number(Double(partitions.count)),
            "replicationFactor": .number(1), "gatewayVersion": .string(Self.version), "lastCompletedChangeId": .string("-1"),
        ])
    }

    // MARK: Deployments

    private func deploy(_ request: Request) async throws -> Response {
        guard let contentType = request.headers[.contentType], let boundary = Multipart.boundary(contentType: contentType) else {
            throw GatewayError.invalid("deployments takes multipart/form-data with the BPMN files as 'resources' parts")
        }
        let parts = try Multipart.parts(try await gateway.body(of: request), boundary: boundary)
        if let tenant = parts.first(where: { $0.name == "tenantId" }).map({ String(decoding: $0.bytes, as: UTF8.self) }), tenant != Self.defaultTenant {
            throw GatewayError.invalid("tenantId '\(tenant)': Baton has no tenants (only \(Self.defaultTenant))")
        }
        let deployed = try await gateway.deploy(parts.filter { $0.fileName != nil }.map { ($0.fileName!, $0.bytes) })
        let keys = ProcessDefinitionKeys(deployed.catalog)
        var seen: Set<String> = []
        var deployments: [JSONValue] = []
        for (processId, fileName) in deployed.processes where seen.insert(processId).inserted {
            guard let definition = keys.latest(processId: processId) else { continue }
            deployments.append(.object(["processDefinition": .object([
                "processDefinitionId": .string(processId), "processDefinitionVersion": .number(Double(definition.version)),
                "resourceName": .string(fileName), "tenantId": .string(Self.defaultTenant), "processDefinitionKey": .string(String(definition.key)),
            ])]))
        }
        return GatewayResponse.json(.object([
            "deploymentKey": .string(String(deployed.position)), "tenantId": .string(Self.defaultTenant), "deployments": .array(deployments),
        ]))
    }

    // MARK: Process instances

    /// Starts a process by `processDefinitionKey`, or by `processDefinitionId` (and
    /// `processDefinitionVersion`, -1 or absent for the latest). The correlationId (the
    /// instance's journal partition key) is the `correlationId` variable if there is one,
    /// else a fresh id.
    private func createInstance(_ request: Request) async throws -> Response {
        let body = try await gateway.jsonObject(of: request)
        let catalog = gateway.readModel.catalog()
        let keys = ProcessDefinitionKeys(catalog)
        let definition: ProcessDefinitionKeys.Definition
        if let key = try Self.key(body, "processDefinitionKey") {
            guard let found = keys.definition(key: key) else { throw GatewayError.notFound("no process definition with key \(key)") }
            definition = found
        } else if let id = try RequestFields.string(body, "processDefinitionId") {
            let version = try RequestFields.integer(body, "processDefinitionVersion", minimum: -1, maximum: Int64(Int32.max)) ?? -1
            let found = version < 0 ? keys.latest(processId: id) : keys.definition(processId: id, version: Int32(version))
            guard let found else {
                throw GatewayError.notFound(version < 0 ? "no process definition with id '\(id)'" : "no version \(version) of process definition '\(id)'")
            }
            definition = found
        } else {
            throw GatewayError.invalid("processDefinitionKey or processDefinitionId is required")
        }
        try Self.checkTenant(body)
        if try RequestFields.bool(body, "awaitCompletion") == true {
            throw GatewayError.invalid("awaitCompletion: Baton answers once the instance is created; follow it with GET /engine-rest/process-instance/{key} or the events topic")
        }
        let variables = try Self.variables(body, "variables")
        let businessId = try RequestFields.string(body, "businessId") ?? ""
        let command = Gateway.startCommand(processId: definition.processId, version: definition.version, businessKey: businessId, variables: variables, catalog: catalog)
        let submitted = try await gateway.submit(command)
        if case .rejected(let reason) = submitted.verdict {
            throw GatewayError(.conflict, type: "InvalidState", "process '\(definition.processId)' was not started: \(reason)")
        }
        guard let instanceKey = gateway.readModel.createdInstance(partition: submitted.partition, position: submitted.position) else {
            throw GatewayError(.internalServerError, type: "ProcessEngineException", "the engine accepted the start command at position \(submitted.position) but created no instance")
        }
        return GatewayResponse.json(.object([
            "processDefinitionId": .string(definition.processId), "processDefinitionVersion": .number(Double(definition.version)),
            "processDefinitionKey": .string(String(definition.key)), "processInstanceKey": .string(String(instanceKey)),
            "tenantId": .string(Self.defaultTenant), "variables": .object([:]), "tags": .array([]),
            "businessId": businessId.isEmpty ? .null : .string(businessId),
        ]))
    }

    private func cancelInstance(_ context: BasicRequestContext) async throws -> Response {
        let text = context.parameters.get("key") ?? ""
        guard let key = Int64(text), let instance = gateway.readModel.instance(key: key) else {
            throw GatewayError.notFound("process instance with key \(text) is not active (completed, canceled or never created)")
        }
        let command = Record.command(.cancelInstance, key: instance.correlationId, value: .instance(InstanceRecord(instanceKey: key)), timestamp: WallClock.now())
        if case .rejected(let reason) = try await gateway.submit(command).verdict {
            throw GatewayError.notFound("process instance \(key) cannot be canceled: \(reason)")
        }
        return GatewayResponse.noContent()
    }

    // MARK: Incidents

    /// Resolves an incident; a task's incident publishes the task again with one retry (set
    /// more with `PATCH /v2/jobs/{key}` `retries`, which resolves the incident too).
    private func resolveIncident(_ context: BasicRequestContext) async throws -> Response {
        let text = context.parameters.get("key") ?? ""
        guard let key = Int64(text), let (instance, _) = gateway.readModel.incident(key: key) else {
            throw GatewayError.notFound("incident with key \(text) is not open (resolved, or never raised)")
        }
        let command = Record.command(
            .resolveIncident, key: instance.correlationId,
            value: .incident(IncidentRecord(instanceKey: instance.key, incidentKey: key, retries: 1)), timestamp: WallClock.now())
        if case .rejected(let reason) = try await gateway.submit(command).verdict {
            throw GatewayError.notFound("incident \(key) cannot be resolved: \(reason)")
        }
        return GatewayResponse.noContent()
    }

    // MARK: Request fields

    /// A key: a string of digits (Camunda 8 sends keys as strings) or a whole number.
    static func key(_ object: [String: JSONValue], _ field: String) throws(GatewayError) -> Int64? {
        switch object[field] {
        case nil, .null?: return nil
        case .string(let text)?:
            guard let key = Int64(text) else { throw .invalid("\(field) must be a key (a string of digits), not '\(text.prefix(40))'") }
            return key
        default:
            guard let key = try RequestFields.integer(object, field) else { return nil }
            return key
        }
    }

    /// Plain JSON variables (Camunda 8 has no typed variables).
    static func variables(_ object: [String: JSONValue], _ field: String) throws(GatewayError) -> [String: JSONValue] {
        guard let value = object[field], value != .null else { return [:] }
        guard let variables = value.objectValue else { throw .invalid("\(field) must be an object of name: value") }
        return variables
    }

    /// Baton has one tenant, `<default>`: naming another is refused rather than ignored.
    static func checkTenant(_ object: [String: JSONValue]) throws(GatewayError) {
        if let tenant = try RequestFields.string(object, "tenantId"), tenant != defaultTenant {
            throw .invalid("tenantId '\(tenant)': Baton has no tenants (only \(defaultTenant))")
        }
    }
}
