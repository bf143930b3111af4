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

    /// Reads a message back from a parsed JSON value (as `init(jsonBytes:)` reads it).
    public init(json value: JSONValue) throws(DecodingError) {
        try self.init(jsonBytes: value.jsonBytes)
    }

    /// Reads a message back from its JSON bytes, member by member (no dictionary of the
    /// whole message: every fetched task is read so), naming the first field that is
    /// missing or of the wrong type. Numbers must be whole and fit their field: a message
    /// on a task topic may come from any producer.
    public init(jsonBytes bytes: [UInt8]) throws(DecodingError) {
        guard bytes.count <= JSONValue.maximumBytes else {
            throw DecodingError(message: "a task message is \(bytes.count) bytes; the limit is \(JSONValue.maximumBytes)", offset: 0)
        }
        var taskKey: Int64?, attempt: Int32?, retries: Int32?, priority: Int32?, partition: Int32?, lockExpirationTime: Int64?
        var topicName: String?, activityId: String?, activityInstanceId: String?, processInstanceId: String?
        var processDefinitionKey: String?, processDefinitionId: String?, businessKey: String?, correlationId: String?
        var tenantId: String?
        var variables: [String: JSONValue] = [:]
        var processTaskResults = JSONValue.null
        var parser = JSONParser(bytes: bytes)
        func text(_ name: String, _ parser: inout JSONParser) throws(DecodingError) -> String {
            guard parser.position < bytes.count, bytes[parser.position] == UInt8(ascii: "\"") else {
                throw parser.error("task message field '\(name)' must be a string")
            }
            return try parser.string()
        }
        func whole<Whole: FixedWidthInteger>(_ name: String, _ parser: inout JSONParser) throws(DecodingError) -> Whole {
            let at = parser.position
            guard at < bytes.count, bytes[at] != UInt8(ascii: "\""), bytes[at] != UInt8(ascii: "{"), bytes[at] != UInt8(ascii: "["),
                  let value = (try? parser.number()).flatMap({ Whole(exactly: $0) })
            else { throw DecodingError(message: "task message field '\(name)' must be a whole number from \(Whole.min) to \(Whole.max)", offset: at) }
            return value
        }
        try parser.members(depth: 0) { (name, parser) throws(DecodingError) in
            switch name {
            case "taskKey":
                let at = parser.position
                guard let key = Int64(try text(name, &parser)) else { throw DecodingError(message: "task message field 'taskKey' is not a key", offset: at) }
                taskKey = key
            case "attempt": attempt = try whole(name, &parser)
            case "retries": retries = try whole(name, &parser)
            case "priority": priority = try whole(name, &parser)
            case "partition": partition = try whole(name, &parser)
            case "lockExpirationTime": lockExpirationTime = try whole(name, &parser)
            case "topicName": topicName = try text(name, &parser)
            case "activityId": activityId = try text(name, &parser)
            case "activityInstanceId": activityInstanceId = try text(name, &parser)
            case "processInstanceId": processInstanceId = try text(name, &parser)
            case "processDefinitionKey": processDefinitionKey = try text(name, &parser)
            case "processDefinitionId": processDefinitionId = try text(name, &parser)
            case "businessKey": businessKey = try text(name, &parser)
            case "correlationId": correlationId = try text(name, &parser)
            case "tenantId":
                if case .string(let tenant) = try parser.value(depth: 1) { tenantId = tenant } else { tenantId = nil }
            case "variables": variables = try parser.value(depth: 1).objectValue ?? [:]
            case "processTaskResults": processTaskResults = try parser.value(depth: 1)
            default: _ = try parser.value(depth: 1)  // id, workerId and fields added later
            }
        }
        try parser.end()
        func required<Value>(_ value: Value?, _ name: String, _ kind: String) throws(DecodingError) -> Value {
            guard let value else { throw DecodingError(message: "task message field '\(name)' must be \(kind)", offset: 0) }
            return value
        }
        let aString = "a string", aNumber = "a number"
        self.init(
            taskKey: try required(taskKey, "taskKey", aString), attempt: try required(attempt, "attempt", aNumber),
            topicName: try required(topicName, "topicName", aString), activityId: try required(activityId, "activityId", aString),
            activityInstanceId: try required(activityInstanceId, "activityInstanceId", aString),
            processInstanceId: try required(processInstanceId, "processInstanceId", aString),
            processDefinitionKey: try required(processDefinitionKey, "processDefinitionKey", aString),
            processDefinitionId: try required(processDefinitionId, "processDefinitionId", aString),
            businessKey: try required(businessKey, "businessKey", aString), correlationId: try required(correlationId, "correlationId", aString),
            variables: variables, retries: try required(retries, "retries", aNumber), priority: try required(priority, "priority", aNumber),
            tenantId: tenantId, lockExpirationTime: try required(lockExpirationTime, "lockExpirationTime", aNumber),
            partition: try required(partition, "partition", aNumber), processTaskResults: processTaskResults)
    }
}
