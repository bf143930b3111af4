/// The language-neutral form of a worker's answer to a task: a JSON object any Kafka client
/// can produce to the journal (topics/README.md, schemas in topics/schemas/). It becomes the
/// same command as the Swift SDK's binary form.
///
/// ```json
/// {"type":"complete","taskId":"4294967300-1","processInstanceId":"4294967297",
///  "correlationId":"order-1","workerId":"py-1","data":{"charged":true},"variables":{}}
/// ```
public enum TaskAnswer {
    /// The answer types and the fields each may carry besides the common ones.
    public static let types: [String: (intent: Intent, fields: Set<String>)] = [
        "complete": (.completeTask, ["data", "variables"]),
        "failure": (.failTask, ["errorMessage", "errorDetails", "retries", "retryTimeout"]),
        "bpmnError": (.throwTaskError, ["errorCode", "errorMessage", "variables"]),
        "extendLock": (.extendTaskLock, ["newDuration"]),
    ]
    /// Fields every answer has (`workerId` and `timestamp` may be left out).
    public static let commonFields: Set<String> = ["type", "taskId", "processInstanceId", "correlationId", "workerId", "timestamp"]

    /// Whether an entry's bytes are meant as a JSON answer (its first non-blank byte is `{`).
    public static func looksLikeJSON(_ bytes: [UInt8]) -> Bool {
        for byte in bytes {
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { continue }
            return byte == UInt8(ascii: "{")
        }
        return false
    }

    /// The command a JSON answer stands for, or an error naming the field at fault.
    public static func command(fromJSON bytes: [UInt8]) throws(AnswerError) -> Record {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            throw AnswerError("not valid JSON: \(error)")
        }
        return try command(from: value)
    }

    public static func command(from value: JSONValue) throws(AnswerError) -> Record {
        guard let fields = value.objectValue else { throw AnswerError("a task answer is a JSON object") }
        let allowed = (types.keys.sorted() + [MessageCommand.type]).joined(separator: ", ")
        guard case .string(let type)? = fields["type"] else {
            throw AnswerError("field 'type' must be one of \(allowed)")
        }
        if type == MessageCommand.type { return try MessageCommand.publish(fields) }
        guard let kind = types[type] else {
            throw AnswerError("'type' is '\(type)'; it must be one of \(allowed)")
        }
        if let unknown = fields.keys.sorted().first(where: { !commonFields.contains($0) && !kind.fields.contains($0) }) {
            throw AnswerError("field '\(unknown)' is not part of a \(type) answer (allowed: \((commonFields.union(kind.fields)).sorted().joined(separator: ", ")))")
        }
        let reader = FieldReader(fields: fields, type: type)
        let taskId = try reader.string("taskId")
        guard let dash = taskId.lastIndex(of: "-"), let taskKey = Int64(taskId[..<dash]), let attempt = Int32(taskId[taskId.index(after: dash)...]) else {
            throw AnswerError("'taskId' is '\(taskId)'; it must be the task message's id, <taskKey>-<attempt>")
        }
        guard let instanceKey = Int64(try reader.string("processInstanceId")) else {
            throw AnswerError("'processInstanceId' must be the task message's processInstanceId (digits)")
        }
        let correlationId = try reader.string("correlationId")
        guard !correlationId.isEmpty else { throw AnswerError("'correlationId' must not be empty") }
        var task = TaskRecord(instanceKey: instanceKey, taskKey: taskKey, attempt: attempt)
        task.workerId = try reader.optionalString("workerId") ?? ""
        switch kind.intent {
        case .completeTask:
            task.data = fields["data"] ?? .null
            task.variables = try reader.variables()
        case .failTask:
            task.errorMessage = try reader.optionalString("errorMessage") ?? ""
            task.errorDetails = try reader.optionalString("errorDetails") ?? ""
            task.retries = Int32(try reader.whole("retries", in: 0...Int64(Int32.max)))
            task.retryTimeout = try reader.optionalWhole("retryTimeout", in: 0...Int64(Int32.max)) ?? 0
        case .throwTaskError:
            task.errorCode = try reader.string("errorCode")
            task.errorMessage = try reader.optionalString("errorMessage") ?? ""
            task.variables = try reader.variables()
        default:
            task.lockDuration = try reader.whole("newDuration", in: 1...Int64(Int32.max))
        }
        let timestamp = try reader.optionalWhole("timestamp", in: 0...Int64.max / 2) ?? 0
        return .command(kind.intent, key: correlationId, value: .task(task), timestamp: timestamp)
    }

    /// The JSON answer for a task command (the inverse of `command(from:)`), as the config
    /// workers and the documentation's examples write it.
    public static func json(for command: Record) -> JSONValue? {
        guard case .task(let task) = command.value else { return nil }
        var fields: [String: JSONValue] = [
            "taskId": .string("\(task.taskKey)-\(task.attempt)"), "processInstanceId": .string(String(task.instanceKey)),
            "correlationId": .string(command.key),
        ]
        if !task.workerId.isEmpty { fields["workerId"] = .string(task.workerId) }
        switch command.intent {
        case .completeTask:
            fields["type"] = .string("complete")
            fields["data"] = task.data
            fields["variables"] = .object(task.variables)
        case .failTask:
            fields["type"] = .string("failure")
            fields["errorMessage"] = .string(task.errorMessage)
            fields["errorDetails"] = .string(task.errorDetails)
            fields["retries"] = .number(Double(task.retries))
            fields["retryTimeout"] = .number(Double(task.retryTimeout))
        case .throwTaskError:
            fields["type"] = .string("bpmnError")
            fields["errorCode"] = .string(task.errorCode)
            fields["errorMessage"] = .string(task.errorMessage)
            fields["variables"] = .object(task.variables)
        case .extendTaskLock:
            fields["type"] = .string("extendLock")
            fields["newDuration"] = .number(Double(task.lockDuration))
        default:
            return nil
        }
        return .object(fields)
    }
}

/// Why a JSON answer was refused, in words that name the field.
public struct AnswerError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Reads typed fields of an answer, naming the field and the answer type on error.
struct FieldReader {
    let fields: [String: JSONValue]
    let type: String

    func string(_ name: String) throws(AnswerError) -> String {
        guard let text = try optionalString(name) else { throw AnswerError("a \(type) answer needs the string field '\(name)'") }
        return text
    }

    func optionalString(_ name: String) throws(AnswerError) -> String? {
        switch fields[name] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw AnswerError("field '\(name)' must be a string")
        }
    }

    func whole(_ name: String, in range: ClosedRange<Int64>) throws(AnswerError) -> Int64 {
        guard let value = try optionalWhole(name, in: range) else { throw AnswerError("a \(type) answer needs the number field '\(name)'") }
        return value
    }

    func optionalWhole(_ name: String, in range: ClosedRange<Int64>) throws(AnswerError) -> Int64? {
        switch fields[name] {
        case nil, .null?: return nil
        case .number(let number)?:
            guard number.rounded() == number, number >= Double(range.lowerBound), number <= Double(range.upperBound) else {
                throw AnswerError("field '\(name)' is \(JSONValue.format(number)); it must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return Int64(number)
        default: throw AnswerError("field '\(name)' must be a number")
        }
    }

    func variables() throws(AnswerError) -> [String: JSONValue] {
        switch fields["variables"] {
        case nil, .null?: return [:]
        case .object(let variables)?: return variables
        default: throw AnswerError("field 'variables' must be a JSON object of variable names to values")
        }
    }
}
