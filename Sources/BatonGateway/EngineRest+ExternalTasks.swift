import BatonEngine
import BatonLog
import BatonModel
import BatonRuntime
import BatonWorker
import Hummingbird

/// `/engine-rest/external-task`: fetchAndLock with long polling, the answers, queries and retries.
extension EngineRest {
    func registerExternalTasks(on rest: RouterGroup<BasicRequestContext>) {
        rest.post("external-task/fetchAndLock") { request, _ in try await fetchAndLock(request) }
        rest.post("external-task/:id/complete") { request, context in try await answer(.completeTask, request, context) }
        rest.post("external-task/:id/failure") { request, context in try await answer(.failTask, request, context) }
        rest.post("external-task/:id/bpmnError") { request, context in try await answer(.throwTaskError, request, context) }
        rest.post("external-task/:id/extendLock") { request, context in try await answer(.extendTaskLock, request, context) }
        rest.post("external-task/:id/unlock") { request, context in try await answer(.unlockTask, request, context) }
        rest.get("external-task/topic-names") { _, _ in
            let names = Set(gateway.readModel.read { states, _ in states.flatMap { $0.instances.values.flatMap { $0.tasks.values.map(\.topic) } } })
            return GatewayResponse.json(.array(names.sorted().map(JSONValue.string)))
        }
        rest.get("external-task/count") { request, _ in
            GatewayResponse.json(.object(["count": .number(Double(try tasks(matching: request).count))]))
        }
        rest.get("external-task") { request, _ in
            var found = try tasks(matching: request)
            let first = Int(request.uri.queryParameters.get("firstResult") ?? "") ?? 0
            let most = Int(request.uri.queryParameters.get("maxResults") ?? "") ?? Int.max
            found = Array(found.dropFirst(max(0, first)).prefix(max(0, most)))
            return GatewayResponse.json(.array(found.map(\.json)))
        }
        rest.get("external-task/:id") { _, context in
            let text = context.parameters.get("id") ?? ""
            guard let id = ExternalTaskID(text), let task = task(id) else { throw GatewayError.notFound("External task with id \(text) does not exist") }
            return GatewayResponse.json(task.json)
        }
        rest.put("external-task/:id/retries") { request, context in
            let text = context.parameters.get("id") ?? ""
            let body = try await gateway.jsonObject(of: request)
            let retries = try RequestFields.integer(body, "retries", required: true, minimum: 1, maximum: Int64(Int32.max))!
            guard let id = ExternalTaskID(text), let task = task(id) else { throw GatewayError.notFound("External task with id \(text) does not exist") }
            guard task.incidentKey != nil else {
                throw GatewayError.invalid("external task \(text) has no incident (it has \(task.retries) retries left); Baton sets retries to resolve an incident")
            }
            try await retry([task], retries: Int32(retries))
            return GatewayResponse.noContent()
        }
        rest.put("external-task/retries") { request, _ in
            let body = try await gateway.jsonObject(of: request)
            let retries = try RequestFields.integer(body, "retries", required: true, minimum: 1, maximum: Int64(Int32.max))!
            let ids = try RequestFields.strings(body, "externalTaskIds") ?? []
            let instances = Set(try RequestFields.strings(body, "processInstanceIds") ?? [])
            if body["externalTaskQuery"] != nil || body["processInstanceQuery"] != nil || body["historicProcessInstanceQuery"] != nil {
                throw GatewayError.invalid("Baton takes externalTaskIds and processInstanceIds; queries in a retries request are not supported")
            }
            guard !ids.isEmpty || !instances.isEmpty else { throw GatewayError.invalid("externalTaskIds or processInstanceIds is required") }
            let chosen = Set(ids.compactMap(ExternalTaskID.init))
            let invalid = ids.filter { ExternalTaskID($0) == nil }
            guard invalid.isEmpty else { throw GatewayError.invalid("externalTaskIds holds ids Baton never gave out: \(invalid.prefix(3).joined(separator: ", "))") }
            let found = allTasks().filter { ($0.incidentKey != nil) && (chosen.contains($0.id) || instances.contains(String($0.id.instanceKey))) }
            try await retry(found, retries: Int32(retries))
            return GatewayResponse.noContent()
        }
    }

    // MARK: fetchAndLock

    private func fetchAndLock(_ request: Request) async throws -> Response {
        let body = try await gateway.jsonObject(of: request)
        let workerId = try RequestFields.string(body, "workerId", required: true)!
        guard !workerId.isEmpty else { throw GatewayError.invalid("workerId must not be empty") }
        let maxTasks = try RequestFields.integer(body, "maxTasks", required: true, minimum: 0, maximum: Int64(gateway.configuration.maximumTasksPerFetch))!
        let usePriority = try RequestFields.bool(body, "usePriority") ?? false
        let timeout = try RequestFields.integer(body, "asyncResponseTimeout", minimum: 0, maximum: gateway.configuration.longPollMaximum) ?? 0
        guard let topicsValue = body["topics"], case .array(let topicItems) = topicsValue else { throw GatewayError.invalid("topics must be an array") }
        var requests: [TopicRequest] = []
        for (index, item) in topicItems.enumerated() {
            guard let topic = item.objectValue else { throw GatewayError.invalid("topics[\(index)] must be an object") }
            let name = try RequestFields.string(topic, "topicName", required: true)!
            guard !name.isEmpty else { throw GatewayError.invalid("topics[\(index)].topicName must not be empty") }
            let lockDuration = try RequestFields.integer(topic, "lockDuration", required: true, minimum: 1)!
            var request = TopicRequest(topicName: name, lockDuration: lockDuration)
            request.variables = try RequestFields.strings(topic, "variables")
            request.businessKey = try RequestFields.string(topic, "businessKey")
            if let key = try RequestFields.string(topic, "processDefinitionKey") { request.processDefinitionKeys = [key] }
            if let keys = try RequestFields.strings(topic, "processDefinitionKeyIn") { request.processDefinitionKeys = (request.processDefinitionKeys ?? []) + keys }
            if let id = try RequestFields.string(topic, "processDefinitionId") { request.processDefinitionIds = [id] }
            if let ids = try RequestFields.strings(topic, "processDefinitionIdIn") { request.processDefinitionIds = (request.processDefinitionIds ?? []) + ids }
            request.tenantIds = try RequestFields.strings(topic, "tenantIdIn")
            request.withoutTenantId = try RequestFields.bool(topic, "withoutTenantId") ?? false
            if let filter = topic["processVariables"], filter != .null {
                guard let object = filter.objectValue else { throw GatewayError.invalid("topics[\(index)].processVariables must be an object of name: value") }
                request.processVariables = object
            }
            requests.append(request)
        }
        guard maxTasks > 0, !requests.isEmpty else { return GatewayResponse.json(.array([])) }
        let claimed = try await gateway.claims.fetchAndLock(
            workerId: workerId, maxTasks: Int(maxTasks), usePriority: usePriority, topics: requests, timeout: timeout)
        let byTopic = Dictionary(requests.map { ($0.topicName, $0) }, uniquingKeysWith: { first, _ in first })
        return GatewayResponse.json(.array(claimed.map { lockedTask($0, variables: byTopic[$0.message.topicName]?.variables) }))
    }

    /// Camunda's LockedExternalTaskDto for a claimed task.
    private func lockedTask(_ task: ClaimedTask, variables names: [String]?) -> JSONValue {
        let message = task.message
        var variables = message.variables
        if let names { variables = variables.filter { names.contains($0.key) } }
        return .object([
            "id": .string(task.id.description), "topicName": .string(message.topicName), "workerId": .string(task.workerId),
            "activityId": .string(message.activityId), "activityInstanceId": .string(message.activityInstanceId),
            "executionId": .string(message.activityInstanceId), "processInstanceId": .string(message.processInstanceId),
            "processDefinitionKey": .string(message.processDefinitionId), "processDefinitionId": .string(message.processDefinitionKey),
            "processDefinitionVersionTag": .null, "businessKey": message.businessKey.isEmpty ? .null : .string(message.businessKey),
            "lockExpirationTime": .string(Self.date(task.lockExpirationTime)), "retries": .number(Double(message.retries)),
            "errorMessage": .null, "errorDetails": .null, "suspended": .bool(false), "priority": .number(Double(message.priority)),
            "tenantId": message.tenantId.map(JSONValue.string) ?? .null, "variables": CamundaVariables.encode(variables),
            "extensionProperties": .object([:]),
        ])
    }

    // MARK: Answers

    private func answer(_ intent: Intent, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let text = context.parameters.get("id") ?? ""
        guard let id = ExternalTaskID(text) else { throw GatewayError.notFound("External task with id \(text) does not exist") }
        let body = try await gateway.jsonObject(of: request)
        var value = TaskRecord(instanceKey: id.instanceKey, taskKey: id.taskKey, attempt: id.attempt)
        if intent != .unlockTask {
            value.workerId = try RequestFields.string(body, "workerId", required: true)!
        }
        switch intent {
        case .completeTask:
            value.variables = try CamundaVariables.decode(body["variables"], field: "variables")
            // Camunda's local variables live on the task's execution: in Baton they are the
            // task's result, appended to taskResults.
            let local = try CamundaVariables.decode(body["localVariables"], field: "localVariables")
            value.data = local.isEmpty ? .null : .object(local)
        case .failTask:
            value.errorMessage = try RequestFields.string(body, "errorMessage") ?? ""
            value.errorDetails = try RequestFields.string(body, "errorDetails") ?? ""
            value.retries = Int32(try RequestFields.integer(body, "retries", minimum: 0, maximum: Int64(Int32.max)) ?? 0)
            value.retryTimeout = try RequestFields.integer(body, "retryTimeout", minimum: 0) ?? 0
        case .throwTaskError:
            value.errorCode = try RequestFields.string(body, "errorCode", required: true)!
            value.errorMessage = try RequestFields.string(body, "errorMessage") ?? ""
            value.variables = try CamundaVariables.decode(body["variables"], field: "variables")
        case .extendTaskLock:
            value.lockDuration = try RequestFields.integer(body, "newDuration", required: true, minimum: 1)!
        default:
            break
        }
        let command = Record.command(intent, key: id.correlationId, value: .task(value), timestamp: WallClock.now())
        switch try await submit(command) {
        case .accepted:
            return GatewayResponse.noContent()
        case .rejected(let reason):
            if reason.contains("is locked by worker") { throw GatewayError.refused("External Task \(text) cannot be answered by worker '\(value.workerId)': \(reason)") }
            if reason.contains("not active") || reason.contains("attempt") || reason.contains("never created") || reason.contains("does not apply") {
                throw GatewayError.notFound("External task with id \(text) does not exist (\(reason))")
            }
            throw GatewayError.invalid(reason)
        }
    }

    // MARK: Queries

    /// An external task as the read model knows it.
    struct TaskView {
        let id: ExternalTaskID
        let topic: String
        let activityId: String
        let processId: String
        let processVersion: Int32
        let businessKey: String
        let retries: Int32
        let priority: Int32
        let workerId: String
        let lockExpiresAt: Int64?
        let errorMessage: String
        let incidentKey: Int64?

        var json: JSONValue {
            .object([
                "id": .string(id.description), "topicName": .string(topic), "workerId": workerId.isEmpty ? .null : .string(workerId),
                "activityId": .string(activityId), "activityInstanceId": .string(String(id.taskKey)), "executionId": .string(String(id.taskKey)),
                "processInstanceId": .string(String(id.instanceKey)), "processDefinitionKey": .string(processId),
                "processDefinitionId": .string("\(processId):\(processVersion)"), "businessKey": businessKey.isEmpty ? .null : .string(businessKey),
                "lockExpirationTime": lockExpiresAt.map { .string(EngineRest.date($0)) } ?? .null, "retries": .number(Double(retries)),
                "errorMessage": errorMessage.isEmpty ? .null : .string(errorMessage), "suspended": .bool(false),
                "priority": .number(Double(priority)), "tenantId": .null,
            ])
        }
    }

    func allTasks() -> [TaskView] {
        gateway.readModel.read { states, processes in
            states.flatMap { state in
                state.instances.values.flatMap { instance in
                    instance.tasks.values.map { Self.view(of: $0, in: instance, processes: processes) }
                }
            }
        }.sorted { ($0.id.instanceKey, $0.id.taskKey) < ($1.id.instanceKey, $1.id.taskKey) }
    }

    /// One task by id: found through its key's partition, not by listing every task.
    func task(_ id: ExternalTaskID) -> TaskView? {
        guard let (instance, task) = gateway.readModel.task(key: id.taskKey), instance.key == id.instanceKey else { return nil }
        let view = Self.view(of: task, in: instance, processes: gateway.readModel.catalog().registry)
        return view.id == id ? view : nil
    }

    static func view(of task: TaskState, in instance: InstanceState, processes: ProcessRegistry) -> TaskView {
        let process = processes.process(id: instance.processId, version: instance.processVersion)?.process
        var lockExpiresAt: Int64?
        if case .active(let until) = task.phase, !task.lockOwner.isEmpty { lockExpiresAt = until }
        return TaskView(
            id: ExternalTaskID(instanceKey: instance.key, taskKey: task.key, attempt: task.attempt, correlationId: instance.correlationId),
            topic: task.topic, activityId: process?[element: task.elementIndex].id ?? "#\(task.elementIndex)",
            processId: instance.processId, processVersion: instance.processVersion, businessKey: instance.businessKey,
            retries: task.retries, priority: task.priority, workerId: task.lockOwner, lockExpiresAt: lockExpiresAt,
            errorMessage: task.lastError, incidentKey: instance.incidents.values.first { $0.taskKey == task.key }?.key)
    }

    /// The tasks matching the query parameters of `GET /external-task`.
    private func tasks(matching request: Request) throws(GatewayError) -> [TaskView] {
        let query = request.uri.queryParameters
        func flag(_ name: String) -> Bool { query.get(name).map { $0 == "true" } ?? false }
        let now = WallClock.now()
        return allTasks().filter { task in
            if let topic = query.get("topicName"), task.topic != topic { return false }
            if let worker = query.get("workerId"), task.workerId != worker { return false }
            if let instance = query.get("processInstanceId"), String(task.id.instanceKey) != instance { return false }
            if let activity = query.get("activityId"), task.activityId != activity { return false }
            if let key = query.get("processDefinitionKey"), task.processId != key { return false }
            if let id = query.get("externalTaskId"), task.id.description != id { return false }
            let locked = task.lockExpiresAt.map { $0 > now } ?? false
            if flag("locked"), !locked { return false }
            if flag("notLocked"), locked { return false }
            if flag("withRetriesLeft"), task.incidentKey != nil { return false }
            if flag("noRetriesLeft"), task.incidentKey == nil { return false }
            return true
        }
    }

    /// Resolves the incidents of `tasks` with `retries`: their tasks are published again.
    private func retry(_ tasks: [TaskView], retries: Int32) async throws {
        let now = WallClock.now()
        let commands = tasks.compactMap { task -> Record? in
            guard let incident = task.incidentKey else { return nil }
            return .command(
                .resolveIncident, key: task.id.correlationId,
                value: .incident(IncidentRecord(instanceKey: task.id.instanceKey, incidentKey: incident, retries: retries)), timestamp: now)
        }
        let log = gateway.log
        try await DedicatedThread.run { try CommandWriter(log: log).appendEach(commands) }
    }
}
