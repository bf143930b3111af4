import BatonEngine
import BatonLog
import BatonModel
import BatonRuntime
import BatonWorker
import Hummingbird

/// `/v2/jobs`: activation with long polling, and the answers. A job is an external task; its
/// key is the task key (the same for every attempt, as a Zeebe job key is), and an answer
/// goes to the task's current attempt.
extension OrchestrationRest {
    /// How long an activation waits for jobs when it does not say (`requestTimeout` 0).
    static let defaultRequestTimeout: Int64 = 10_000

    func registerJobs(on rest: RouterGroup<BasicRequestContext>) {
        rest.post("jobs/activation") { request, _ in try await activate(request) }
        rest.post("jobs/:key/completion") { request, context in try await answer(.completeTask, request, context) }
        rest.post("jobs/:key/failure") { request, context in try await answer(.failTask, request, context) }
        rest.post("jobs/:key/error") { request, context in try await answer(.throwTaskError, request, context) }
        rest.patch("jobs/:key") { request, context in try await update(request, context) }
    }

    // MARK: Activation

    private func activate(_ request: Request) async throws -> Response {
        let body = try await gateway.jsonObject(of: request)
        let type = try RequestFields.string(body, "type", required: true)!
        guard !type.isEmpty else { throw GatewayError.invalid("type must not be empty") }
        let worker = try RequestFields.string(body, "worker") ?? ""
        let timeout = try RequestFields.integer(body, "timeout", required: true, minimum: 1)!
        let most = try RequestFields.integer(body, "maxJobsToActivate", required: true, minimum: 1, maximum: Int64(gateway.configuration.maximumTasksPerFetch))!
        let requestTimeout = try RequestFields.integer(body, "requestTimeout", maximum: gateway.configuration.longPollMaximum) ?? 0
        let fetchVariables = try RequestFields.strings(body, "fetchVariable")
        if let tenants = try RequestFields.strings(body, "tenantIds"), !tenants.isEmpty, !tenants.contains(Self.defaultTenant) {
            // Every Baton task belongs to the default tenant: asking only for others finds none.
            return GatewayResponse.json(.object(["jobs": .array([])]))
        }
        var topic = TopicRequest(topicName: type, lockDuration: timeout)
        topic.variables = fetchVariables
        let claimed = try await gateway.claims.fetchAndLock(
            workerId: worker.isEmpty ? "default" : worker, maxTasks: Int(most), usePriority: true, topics: [topic],
            timeout: requestTimeout == 0 ? Self.defaultRequestTimeout : max(0, requestTimeout))
        let keys = ProcessDefinitionKeys(gateway.readModel.catalog())
        return GatewayResponse.json(.object(["jobs": .array(claimed.map { job($0, worker: worker, variables: fetchVariables, keys: keys) })]))
    }

    /// Camunda 8's ActivatedJobResult for a claimed task.
    private func job(_ task: ClaimedTask, worker: String, variables names: [String]?, keys: ProcessDefinitionKeys) -> JSONValue {
        let message = task.message
        var variables = message.variables
        if let names { variables = variables.filter { names.contains($0.key) } }
        let version = Int32(message.processDefinitionKey.split(separator: ":").last ?? "") ?? 0
        let definitionKey = keys.definition(processId: message.processDefinitionId, version: version)?.key ?? 0
        return .object([
            "type": .string(message.topicName), "processDefinitionId": .string(message.processDefinitionId),
            "processDefinitionVersion": .number(Double(version)), "elementId": .string(message.activityId),
            "customHeaders": .object([:]), "worker": .string(worker), "retries": .number(Double(message.retries)),
            "deadline": .number(Double(task.lockExpirationTime)), "variables": .object(variables),
            "tenantId": .string(Self.defaultTenant), "physicalTenantId": .string(Self.defaultTenant),
            "jobKey": .string(String(message.taskKey)), "processInstanceKey": .string(message.processInstanceId),
            "processDefinitionKey": .string(String(definitionKey)), "elementInstanceKey": .string(message.activityInstanceId),
            "kind": .string("BPMN_ELEMENT"), "listenerEventType": .string("UNSPECIFIED"), "userTask": .null, "tags": .array([]),
            "rootProcessInstanceKey": .string(message.processInstanceId),
            "businessId": message.businessKey.isEmpty ? .null : .string(message.businessKey),
            "priority": .number(Double(message.priority)), "jobLeaseToken": .null,
        ])
    }

    // MARK: Answers

    /// The task behind a job key, at its current attempt (404 when it is not active).
    private func task(_ context: BasicRequestContext) throws(GatewayError) -> (record: TaskRecord, correlationId: String, incidentKey: Int64?) {
        let text = context.parameters.get("key") ?? ""
        guard let key = Int64(text), let (instance, task) = gateway.readModel.task(key: key) else {
            throw GatewayError.notFound("job with key \(text) is not active (completed, canceled, or never created)")
        }
        let incident = instance.incidents.values.first { $0.taskKey == key }?.key
        return (TaskRecord(instanceKey: instance.key, taskKey: key, attempt: task.attempt), instance.correlationId, incident)
    }

    private func answer(_ intent: Intent, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await gateway.jsonObject(of: request)
        var (value, correlationId, _) = try task(context)
        switch intent {
        case .completeTask:
            value.variables = try Self.variables(body, "variables")
        case .failTask:
            value.retries = Int32(try RequestFields.integer(body, "retries", minimum: 0, maximum: Int64(Int32.max)) ?? 0)
            value.errorMessage = try RequestFields.string(body, "errorMessage") ?? ""
            value.retryTimeout = try RequestFields.integer(body, "retryBackOff", minimum: 0) ?? 0
            value.variables = try Self.variables(body, "variables")
        case .throwTaskError:
            value.errorCode = try RequestFields.string(body, "errorCode", required: true)!
            value.errorMessage = try RequestFields.string(body, "errorMessage") ?? ""
            value.variables = try Self.variables(body, "variables")
        default:
            break
        }
        try await submit(.command(intent, key: correlationId, value: .task(value), timestamp: WallClock.now()), job: value.taskKey)
        return GatewayResponse.noContent()
    }

    /// `changeset.timeout` sets the job's deadline to now + timeout; `changeset.retries` on
    /// a job with an incident resolves the incident with those retries (Baton sets retries
    /// only then: a task that still has retries keeps its count).
    private func update(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await gateway.jsonObject(of: request)
        guard let changeset = body["changeset"]?.objectValue else { throw GatewayError.invalid("changeset is required (an object with retries and/or timeout)") }
        let retries = try RequestFields.integer(changeset, "retries", minimum: 1, maximum: Int64(Int32.max))
        let timeout = try RequestFields.integer(changeset, "timeout", minimum: 1)
        guard retries != nil || timeout != nil else { throw GatewayError.invalid("changeset must hold retries or timeout") }
        let (value, correlationId, incident) = try task(context)
        if let retries {
            guard let incident else {
                throw GatewayError(.conflict, type: "InvalidState", "job \(value.taskKey) has no incident: Baton sets a job's retries only to resolve its incident")
            }
            let command = Record.command(
                .resolveIncident, key: correlationId,
                value: .incident(IncidentRecord(instanceKey: value.instanceKey, incidentKey: incident, retries: Int32(retries))), timestamp: WallClock.now())
            try await submit(command, job: value.taskKey)
        }
        if let timeout {
            var extend = value
            extend.lockDuration = timeout
            try await submit(.command(.extendTaskLock, key: correlationId, value: .task(extend), timestamp: WallClock.now()), job: value.taskKey)
        }
        return GatewayResponse.noContent()
    }

    /// Submits an answer; the engine's refusal becomes 404 (the job is over) or 409.
    private func submit(_ command: Record, job key: Int64) async throws {
        guard case .rejected(let reason) = try await gateway.submit(command).verdict else { return }
        if reason.contains("not active") || reason.contains("never created") || reason.contains("attempt") || reason.contains("not open") {
            throw GatewayError.notFound("job \(key) is not active: \(reason)")
        }
        throw GatewayError(.conflict, type: "InvalidState", "job \(key): \(reason)")
    }
}
