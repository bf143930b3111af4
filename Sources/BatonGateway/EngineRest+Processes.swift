import BatonEngine
import BatonLog
import BatonModel
import BatonRuntime
import BatonWorker
import Hummingbird

#if canImport(Glibc)
import Glibc
#endif

/// `/engine-rest` deployments, process definitions, process instances and incidents.
extension EngineRest {
    func registerProcesses(on rest: RouterGroup<BasicRequestContext>) {
        rest.post("deployment/create") { request, _ in try await deploy(request) }
        rest.get("process-definition") { request, _ in
            var found = definitions()
            if let key = request.uri.queryParameters.get("key") { found = found.filter { $0.processId == key } }
            if request.uri.queryParameters.get("latestVersion") == "true" {
                let latest = Dictionary(found.map { ($0.processId, $0.version) }, uniquingKeysWith: max)
                found = found.filter { latest[$0.processId] == $0.version }
            }
            return GatewayResponse.json(.array(found.map(definitionJSON)))
        }
        rest.get("process-definition/key/:key") { _, context in
            let key = context.parameters.get("key") ?? ""
            guard let latest = definitions().last(where: { $0.processId == key }) else {
                throw GatewayError.notFound("No matching process definition with key: \(key)")
            }
            return GatewayResponse.json(definitionJSON(latest))
        }
        rest.post("process-definition/key/:key/start") { request, context in try await start(request, key: context.parameters.get("key") ?? "") }
        rest.get("process-instance") { request, _ in
            var found = instances()
            let query = request.uri.queryParameters
            if let key = query.get("processDefinitionKey") { found = found.filter { $0.processId == key } }
            if let businessKey = query.get("businessKey") { found = found.filter { $0.businessKey == businessKey } }
            return GatewayResponse.json(.array(found.map(instanceJSON)))
        }
        rest.get("process-instance/:id") { _, context in GatewayResponse.json(instanceJSON(try instance(context))) }
        rest.get("process-instance/:id/variables") { _, context in GatewayResponse.json(CamundaVariables.encode(try instance(context).variables)) }
        rest.get("process-instance/:id/variables/:name") { _, context in
            let name = context.parameters.get("name") ?? ""
            guard let value = try instance(context).variables[name] else {
                throw GatewayError.notFound("process instance variable with name \(name) does not exist")
            }
            return GatewayResponse.json(CamundaVariables.typed(value))
        }
        rest.post("process-instance/:id/variables") { request, context in
            let body = try await gateway.jsonObject(of: request)
            if let deletions = try RequestFields.strings(body, "deletions"), !deletions.isEmpty {
                throw GatewayError.invalid("deletions: Baton does not delete variables (set them to null instead)")
            }
            try await setVariables(try CamundaVariables.decode(body["modifications"], field: "modifications"), context)
            return GatewayResponse.noContent()
        }
        rest.put("process-instance/:id/variables/:name") { request, context in
            let name = context.parameters.get("name") ?? ""
            let body = try await gateway.jsonObject(of: request)
            let decoded = try CamundaVariables.decode(.object([name: .object(body)]), field: "variable")
            try await setVariables(decoded, context)
            return GatewayResponse.noContent()
        }
        rest.delete("process-instance/:id") { _, context in
            let found = try instance(context)
            let command = Record.command(.cancelInstance, key: found.correlationId, value: .instance(InstanceRecord(instanceKey: found.key)), timestamp: WallClock.now())
            if case .rejected(let reason) = try await submit(command) { throw GatewayError.notFound("Process instance \(found.key) cannot be deleted: \(reason)") }
            return GatewayResponse.noContent()
        }
        rest.get("incident") { request, _ in
            var found = incidents()
            if let instance = request.uri.queryParameters.get("processInstanceId") { found = found.filter { $0["processInstanceId"] == .string(instance) } }
            return GatewayResponse.json(.array(found))
        }
    }

    // MARK: Deployments

    private func deploy(_ request: Request) async throws -> Response {
        guard let contentType = request.headers[.contentType], let boundary = Multipart.boundary(contentType: contentType) else {
            throw GatewayError.invalid("deployment/create takes multipart/form-data with the BPMN files as parts")
        }
        let parts = try Multipart.parts(try await gateway.body(of: request), boundary: boundary)
        let name = parts.first { $0.name == "deployment-name" }.map { String(decoding: $0.bytes, as: UTF8.self) } ?? ""
        let deployed = try await gateway.deploy(parts.filter { $0.fileName != nil }.map { ($0.fileName!, $0.bytes) })
        let catalog = deployed.catalog
        let lastPosition = deployed.position
        var definitions: [String: JSONValue] = [:]
        for (processId, _) in deployed.processes {
            guard let version = catalog.versions.last(where: { $0.processId == processId }) else { continue }
            let view = DefinitionView(processId: version.processId, version: version.version, fileName: version.fileName, position: version.position)
            definitions[view.id] = definitionJSON(view)
        }
        return GatewayResponse.json(.object([
            "id": .string(String(lastPosition)), "name": name.isEmpty ? .null : .string(name), "source": .null, "tenantId": .null,
            "deploymentTime": .string(Self.date(WallClock.now())), "links": .array([]),
            "deployedProcessDefinitions": .object(definitions),
        ]))
    }

    struct DefinitionView {
        let processId: String
        let version: Int32
        let fileName: String
        let position: Int64
        var id: String { "\(processId):\(version)" }
    }

    func definitions() -> [DefinitionView] {
        gateway.readModel.catalog().versions.map { DefinitionView(processId: $0.processId, version: $0.version, fileName: $0.fileName, position: $0.position) }
    }

    private func definitionJSON(_ definition: DefinitionView) -> JSONValue {
        .object([
            "id": .string(definition.id), "key": .string(definition.processId), "name": .string(definition.processId),
            "version": .number(Double(definition.version)), "deploymentId": .string(String(definition.position)),
            "resource": .string(definition.fileName), "category": .null, "description": .null, "diagram": .null,
            "suspended": .bool(false), "tenantId": .null, "versionTag": .null, "historyTimeToLive": .null, "startableInTasklist": .bool(true),
        ])
    }

    // MARK: Instances

    /// Starts the latest version of process `key`. The instance's correlationId (its journal
    /// partition key) is its `correlationId` variable if it has one, else a fresh id.
    private func start(_ request: Request, key: String) async throws -> Response {
        let body = try await gateway.jsonObject(of: request)
        let variables = try CamundaVariables.decode(body["variables"], field: "variables")
        let businessKey = try RequestFields.string(body, "businessKey") ?? ""
        let catalog = gateway.readModel.catalog()
        guard let version = catalog.registry.latestVersion(of: key) else { throw GatewayError.notFound("No matching process definition with key: \(key)") }
        let command = Gateway.startCommand(processId: key, version: version, businessKey: businessKey, variables: variables, catalog: catalog)
        let correlationId = command.key
        if case .rejected(let reason) = try await submit(command) { throw GatewayError.invalid("process '\(key)' was not started: \(reason)") }
        guard let started = instances().last(where: { $0.correlationId == correlationId && $0.processId == key }) else {
            // Started and already completed (no wait state): Camunda reports it ended.
            return GatewayResponse.json(.object([
                "id": .null, "definitionId": .string("\(key):\(version)"), "businessKey": businessKey.isEmpty ? .null : .string(businessKey),
                "ended": .bool(true), "suspended": .bool(false), "tenantId": .null, "links": .array([]),
            ]))
        }
        return GatewayResponse.json(instanceJSON(started))
    }

    func instances() -> [InstanceState] {
        gateway.readModel.read { states, _ in states.flatMap { $0.instances.values } }.sorted { $0.key < $1.key }
    }

    /// Sets variables of an instance through the engine (`setVariables`).
    private func setVariables(_ variables: [String: JSONValue], _ context: BasicRequestContext) async throws {
        let found = try instance(context)
        guard !variables.isEmpty else { throw GatewayError.invalid("modifications names no variables") }
        let command = Record.command(
            .setVariables, key: found.correlationId, value: .variables(VariablesRecord(instanceKey: found.key, variables: variables)), timestamp: WallClock.now())
        if case .rejected(let reason) = try await submit(command) {
            throw GatewayError.invalid("variables of process instance \(found.key) were not set: \(reason)")
        }
    }

    private func instance(_ context: BasicRequestContext) throws -> InstanceState {
        let text = context.parameters.get("id") ?? ""
        guard let key = Int64(text), let found = gateway.readModel.read({ states, _ in states.lazy.compactMap { $0.instances[key] }.first }) else {
            throw GatewayError.notFound("Process instance with id \(text) does not exist")
        }
        return found
    }

    private func instanceJSON(_ instance: InstanceState) -> JSONValue {
        .object([
            "id": .string(String(instance.key)), "definitionId": .string("\(instance.processId):\(instance.processVersion)"),
            "businessKey": instance.businessKey.isEmpty ? .null : .string(instance.businessKey), "caseInstanceId": .null,
            "ended": .bool(false), "suspended": .bool(false), "tenantId": .null, "links": .array([]),
        ])
    }

    // MARK: Incidents

    func incidents() -> [JSONValue] {
        let tasks = Dictionary(allTasks().map { ($0.id.taskKey, $0) }, uniquingKeysWith: { first, _ in first })
        return gateway.readModel.read { states, processes in
            states.flatMap { state in
                state.instances.values.flatMap { instance in
                    instance.incidents.values.map { incident -> JSONValue in
                        let process = processes.process(id: instance.processId, version: instance.processVersion)?.process
                        let task = tasks[incident.taskKey]
                        return .object([
                            "id": .string(String(incident.key)), "processDefinitionId": .string("\(instance.processId):\(instance.processVersion)"),
                            "processInstanceId": .string(String(instance.key)), "executionId": .string(String(incident.elementInstanceKey)),
                            "incidentType": .string(task == nil ? "failedJob" : "failedExternalTask"),
                            "activityId": .string(process?[element: incident.elementIndex].id ?? "#\(incident.elementIndex)"),
                            "causeIncidentId": .string(String(incident.key)), "rootCauseIncidentId": .string(String(incident.key)),
                            "configuration": task.map { .string($0.id.description) } ?? .null, "incidentMessage": .string(incident.message),
                            "tenantId": .null, "jobDefinitionId": .null, "annotation": .null,
                        ])
                    }
                }
            }
        }
    }
}
