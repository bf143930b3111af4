/// What a worker receives for an external task: the fields of a Camunda 7 external task,
/// plus Baton's task key, attempt and the `ProcessTaskResults` DTO. Published as JSON on the
/// topic `baton.task.<topicName>`, readable by any client (documented in topics/).
public struct TaskMessage: Sendable, Hashable {
    public var id: String
    public var taskKey: Int64
    public var attempt: Int32
    public var topicName: String
    public var activityId: String
    public var activityInstanceId: String
    public var processInstanceId: String
    public var processDefinitionKey: String
    public var processDefinitionId: String
    public var businessKey: String
    public var correlationId: String
    public var variables: [String: JSONValue]
    public var retries: Int32
    public var priority: Int32
    public var tenantId: String?
    public var lockExpirationTime: Int64
    /// The journal partition the instance lives on: results go back there.
    public var partition: Int32
    public var processTaskResults: JSONValue

    public init(
        taskKey: Int64, attempt: Int32, topicName: String, activityId: String, activityInstanceId: String,
        processInstanceId: String, processDefinitionKey: String, processDefinitionId: String, businessKey: String,
        correlationId: String, variables: [String: JSONValue], retries: Int32, priority: Int32, tenantId: String? = nil,
        lockExpirationTime: Int64, partition: Int32, processTaskResults: JSONValue
    ) {
        self.id = "\(taskKey)-\(attempt)"
        self.taskKey = taskKey
        self.attempt = attempt
        self.topicName = topicName
        self.activityId = activityId
        self.activityInstanceId = activityInstanceId
        self.processInstanceId = processInstanceId
        self.processDefinitionKey = processDefinitionKey
        self.processDefinitionId = processDefinitionId
        self.businessKey = businessKey
        self.correlationId = correlationId
        self.variables = variables
        self.retries = retries
        self.priority = priority
        self.tenantId = tenantId
        self.lockExpirationTime = lockExpirationTime
        self.partition = partition
        self.processTaskResults = processTaskResults
    }

    public var json: JSONValue {
        .object([
            "id": .string(id), "taskKey": .string(String(taskKey)), "attempt": .number(Double(attempt)),
            "topicName": .string(topicName), "activityId": .string(activityId), "activityInstanceId": .string(activityInstanceId),
            "processInstanceId": .string(processInstanceId), "processDefinitionKey": .string(processDefinitionKey),
            "processDefinitionId": .string(processDefinitionId), "businessKey": .string(businessKey),
            "correlationId": .string(correlationId), "variables": .object(variables), "retries": .number(Double(retries)),
            "priority": .number(Double(priority)), "tenantId": tenantId.map(JSONValue.string) ?? .null,
            "lockExpirationTime": .number(Double(lockExpirationTime)), "partition": .number(Double(partition)),
            "processTaskResults": processTaskResults,
        ])
    }

    /// The message as JSON bytes, written directly in a fixed field order (what the engine
    /// publishes for every task, and what a configured worker posts, with its `workerId`).
    public func jsonBytes(workerId: String? = nil) -> [UInt8] {
        var json = JSONObjectWriter(capacity: 512)
        json.string("id", id)
        json.key("taskKey", taskKey)
        json.number("attempt", Int64(attempt))
        json.string("topicName", topicName)
        json.string("activityId", activityId)
        json.string("activityInstanceId", activityInstanceId)
        json.string("processInstanceId", processInstanceId)
        json.string("processDefinitionKey", processDefinitionKey)
        json.string("processDefinitionId", processDefinitionId)
        json.string("businessKey", businessKey)
        json.string("correlationId", correlationId)
        json.value("variables", .object(variables))
        json.number("retries", Int64(retries))
        json.number("priority", Int64(priority))
        json.value("tenantId", tenantId.map(JSONValue.string) ?? .null)
        json.number("lockExpirationTime", lockExpirationTime)
        json.number("partition", Int64(partition))
        json.value("processTaskResults", processTaskResults)
        if let workerId { json.string("workerId", workerId) }
        return json.finish()
    }

    /// Reads a message back, naming the first field that is missing or of the wrong type.
    public init(json value: JSONValue) throws(DecodingError) {
        guard case .object(let fields) = value else { throw DecodingError(message: "a task message is a JSON object", offset: 0) }
        func string(_ name: String) throws(DecodingError) -> String {
            guard case .string(let text)? = fields[name] else { throw DecodingError(message: "task message field '\(name)' must be a string", offset: 0) }
            return text
        }
        func number(_ name: String) throws(DecodingError) -> Double {
            guard case .number(let value)? = fields[name] else { throw DecodingError(message: "task message field '\(name)' must be a number", offset: 0) }
            return value
        }
        guard let taskKey = Int64(try string("taskKey")) else { throw DecodingError(message: "task message field 'taskKey' is not a key", offset: 0) }
        self.init(
            taskKey: taskKey, attempt: Int32(try number("attempt")), topicName: try string("topicName"),
            activityId: try string("activityId"), activityInstanceId: try string("activityInstanceId"),
            processInstanceId: try string("processInstanceId"), processDefinitionKey: try string("processDefinitionKey"),
            processDefinitionId: try string("processDefinitionId"), businessKey: try string("businessKey"),
            correlationId: try string("correlationId"), variables: fields["variables"]?.objectValue ?? [:],
            retries: Int32(try number("retries")), priority: Int32(try number("priority")),
            tenantId: { if case .string(let tenant)? = fields["tenantId"] { return tenant } else { return nil } }(),
            lockExpirationTime: Int64(try number("lockExpirationTime")), partition: Int32(try number("partition")),
            processTaskResults: fields["processTaskResults"] ?? .null)
    }
}
