import BatonLog
import BatonModel

/// What one source event becomes: an `ingestEvent` command keyed by its correlation id, or
/// a dead letter with the reason.
public enum IngestDecision: Sendable {
    case command(Record)
    case deadLetter(reason: String, key: String)
}

/// The process versions ingest resolves "start" against: the latest deployed version of a
/// process id and the end of the deployments topic it was read from.
public struct DeployedVersions: Sendable {
    public var latest: [String: Int32]
    public var deploymentPosition: Int64

    public init(latest: [String: Int32], deploymentPosition: Int64) {
        self.latest = latest
        self.deploymentPosition = deploymentPosition
    }
}

extension IngestRules {
    /// Maps one entry of the source topic. Nothing an event holds makes this throw: what
    /// cannot be ingested is a dead letter naming why.
    public func decide(_ entry: LogEntry, partition: Int32, deployed: DeployedVersions, now: Int64) -> IngestDecision {
        let entryKey = entry.key.map { String(decoding: $0, as: UTF8.self) } ?? ""
        guard entry.payload.count <= maximumEventBytes else {
            return .deadLetter(reason: "the event has \(entry.payload.count) bytes, more than the \(maximumEventBytes) an event may have", key: entryKey)
        }
        let event: JSONValue
        do {
            event = try JSONValue.parse(entry.payload)
        } catch {
            return .deadLetter(reason: "the event is not JSON: \(error)", key: entryKey)
        }
        guard event.objectValue != nil else {
            return .deadLetter(reason: "the event is \(event.jsonText.prefix(40)), not a JSON object", key: entryKey)
        }
        guard let rule = rules.first(where: { $0.matches(event, key: entry.key) }) else {
            let fields = Set(rules.flatMap { $0.when.keys.map(\.description) }).sorted()
            return .deadLetter(reason: "no rule matches the event (the rules look at \(fields.isEmpty ? "nothing" : fields.joined(separator: ", ")))", key: entryKey)
        }
        let where_ = "rule at line \(rule.line)"
        guard let correlationId = Self.text(rule.correlationId.value(in: event, key: entry.key)) else {
            return .deadLetter(reason: "\(where_): the event has no correlation id at \(rule.correlationId) (a non-empty string or a whole number)", key: entryKey)
        }
        guard correlationId.utf8.count <= 1024 else {
            return .deadLetter(reason: "\(where_): the correlation id at \(rule.correlationId) has \(correlationId.utf8.count) bytes, more than 1024", key: entryKey)
        }
        var value = MessageRecord(name: rule.message ?? "", timeToLive: rule.timeToLive)
        switch variables(rule.variables, event, entry.key) {
        case .success(let variables): value.variables = variables
        case .failure(let reason): return .deadLetter(reason: "\(where_): \(reason.message)", key: correlationId)
        }
        if let field = rule.businessKey {
            guard let businessKey = Self.text(field.value(in: event, key: entry.key)) else {
                return .deadLetter(reason: "\(where_): the event has no business key at \(field)", key: correlationId)
            }
            value.businessKey = businessKey
        }
        if let field = rule.messageId {
            guard let id = Self.text(field.value(in: event, key: entry.key)) else {
                return .deadLetter(reason: "\(where_): the event has no message id at \(field)", key: correlationId)
            }
            value.messageId = id
        } else if value.name.isEmpty == false {
            value.messageId = "\(source)/\(partition)/\(entry.position)"
        }
        if let process = rule.start, !process.isEmpty {
            guard let version = deployed.latest[process] else {
                return .deadLetter(reason: "\(where_): process '\(process)' is not deployed", key: correlationId)
            }
            value.startProcessId = process
            value.processVersion = version
            value.deploymentPosition = deployed.deploymentPosition
        }
        value.sourceTopic = source
        value.sourcePartition = partition
        value.sourceOffset = entry.position
        return .command(.command(.ingestEvent, key: correlationId, value: .message(value), timestamp: now))
    }

    struct Reason: Error {
        let message: String
    }

    private func variables(_ source: EventVariables, _ event: JSONValue, _ key: [UInt8]?) -> Result<[String: JSONValue], Reason> {
        switch source {
        case .none: return .success([:])
        case .event: return .success(event.objectValue ?? [:])
        case .part(let field):
            guard let object = field.value(in: event, key: key)?.objectValue else {
                return .failure(Reason(message: "the variables at \(field) are missing or not a JSON object"))
            }
            return .success(object)
        case .mapping(let fields):
            var variables: [String: JSONValue] = [:]
            for (name, field) in fields { variables[name] = field.value(in: event, key: key) ?? .null }
            return .success(variables)
        }
    }

    /// A string, or a whole number written without a fraction; nil otherwise.
    static func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text)? where !text.isEmpty: return text
        case .number(let number)? where number == number.rounded(.towardZero) && abs(number) < 1e15: return String(Int64(number))
        default: return nil
        }
    }
}

extension IngestRule {
    func matches(_ event: JSONValue, key: [UInt8]?) -> Bool {
        when.allSatisfy { field, expected in field.value(in: event, key: key) == expected }
    }
}
