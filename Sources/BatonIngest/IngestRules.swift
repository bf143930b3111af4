import BatonConfiguredWorkers
import BatonModel
import Yams

/// Where a value of a source event comes from: a path into its JSON (`$.order.id`, or
/// `order.id`), or the source entry's key (Kafka keeps one; the embedded log does not).
public enum EventField: Sendable, Hashable, CustomStringConvertible {
    case path([String])
    case entryKey

    /// Nil when the text is not a path (empty segments, nothing after `$.`).
    public init?(_ text: String) {
        if text == "key" {
            self = .entryKey
            return
        }
        let body = text.hasPrefix("$.") ? String(text.dropFirst(2)) : text
        let segments = body.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !body.isEmpty, segments.allSatisfy({ !$0.isEmpty }) else { return nil }
        self = .path(segments)
    }

    public var description: String {
        switch self {
        case .path(let segments): "$." + segments.joined(separator: ".")
        case .entryKey: "key"
        }
    }

    /// The value in `event` (or the entry's key as a string), or nil where there is none.
    public func value(in event: JSONValue, key: [UInt8]?) -> JSONValue? {
        switch self {
        case .entryKey:
            guard let key, !key.isEmpty else { return nil }
            return .string(String(decoding: key, as: UTF8.self))
        case .path(let segments):
            var current = event
            for segment in segments {
                guard let next = current.objectValue?[segment] else { return nil }
                current = next
            }
            return current
        }
    }
}

/// What becomes the variables of the started instance or the message.
public enum EventVariables: Sendable, Hashable {
    /// The whole event (it must be a JSON object).
    case event
    /// A part of it, which must be a JSON object.
    case part(EventField)
    /// Named values taken from the event.
    case mapping([String: EventField])
    case none
}

/// One rule: which events it takes, and what each becomes.
public struct IngestRule: Sendable, Hashable {
    public var line: Int
    /// Field values the event must have (all of them); empty: every event.
    public var when: [EventField: JSONValue] = [:]
    /// Start this process (its latest version when the event is ingested) when no instance
    /// of it is active for the correlation id.
    public var start: String?
    /// Publish this message; with `start` too: "start or correlate".
    public var message: String?
    public var correlationId: EventField
    public var businessKey: EventField?
    public var variables: EventVariables = .event
    /// Default: `<topic>/<partition>/<offset>`.
    public var messageId: EventField?
    /// How long a message waits for its subscription, in milliseconds.
    public var timeToLive: Int64 = 0
}

/// The rules of `baton ingest` (a YAML or JSON file): the source topic and, in order, the
/// rules an event is matched against (the first that matches takes it).
public struct IngestRules: Sendable, Hashable {
    public var source: String
    public var rules: [IngestRule]
    /// Larger events go to the dead-letter topic unread.
    public var maximumEventBytes: Int

    public static let defaultMaximumEventBytes = 1 << 20
    /// Larger rules files are refused unread.
    public static let maximumFileBytes = 1 << 20

    public init(source: String, rules: [IngestRule], maximumEventBytes: Int = IngestRules.defaultMaximumEventBytes) {
        self.source = source
        self.rules = rules
        self.maximumEventBytes = maximumEventBytes
    }

    /// Reads a rules file; errors name the file, the line and the field.
    public static func load(_ text: String, file: String) throws(ConfigurationError) -> IngestRules {
        let root = try ConfigurationReader.root(of: text, file: file, kind: "a rules file", maximumBytes: maximumFileBytes, needs: "'source' and 'rules'")
        let reader = ConfigurationReader(file: file, environment: [:])
        let fields = try reader.mapping(root, "the file", allowed: ["source", "rules", "maximumEventBytes"])
        let source = try reader.string(fields["source"], "source")
        guard !source.isEmpty else { throw reader.fail(fields["source"], "source must name the topic to ingest") }
        let maximum = try reader.whole(fields["maximumEventBytes"], "maximumEventBytes", default: Int64(defaultMaximumEventBytes), range: 64...(16 << 20))
        guard let list = fields["rules"]?.sequence, !list.isEmpty else {
            throw reader.fail(fields["rules"] ?? root, "'rules' must be a list of at least one rule")
        }
        var rules: [IngestRule] = []
        for (index, node) in list.enumerated() { rules.append(try rule(node, "rules[\(index)]", reader)) }
        return IngestRules(source: source, rules: rules, maximumEventBytes: Int(maximum))
    }

    private static func rule(_ node: Node, _ path: String, _ reader: ConfigurationReader) throws(ConfigurationError) -> IngestRule {
        let fields = try reader.mapping(
            node, path, allowed: ["when", "start", "message", "correlationId", "businessKey", "variables", "messageId", "timeToLive"])
        func field(_ name: String) throws(ConfigurationError) -> EventField? {
            guard let value = fields[name] else { return nil }
            let text = try reader.string(value, "\(path).\(name)")
            guard let parsed = EventField(text) else {
                throw reader.fail(value, "\(path).\(name) '\(text)' is not a field: write a JSON path such as $.orderId, or key")
            }
            return parsed
        }
        guard let correlationId = try field("correlationId") else {
            throw reader.fail(node, "\(path) needs correlationId: where the correlation id is ($.orderId, or key)")
        }
        var rule = IngestRule(line: (node.mark?.line ?? 0), correlationId: correlationId)
        if let start = fields["start"] { rule.start = try reader.string(start, "\(path).start") }
        if let message = fields["message"] { rule.message = try reader.string(message, "\(path).message") }
        if rule.start?.isEmpty ?? true, rule.message?.isEmpty ?? true {
            throw reader.fail(node, "\(path) must say what an event becomes: start (a process id), message (a message name), or both")
        }
        rule.businessKey = try field("businessKey")
        rule.messageId = try field("messageId")
        if let ttl = fields["timeToLive"] {
            let text = try reader.string(ttl, "\(path).timeToLive")
            if let milliseconds = Int64(text), milliseconds >= 0 {
                rule.timeToLive = milliseconds
            } else {
                do { rule.timeToLive = try ISO8601.durationMilliseconds(text) } catch {
                    throw reader.fail(ttl, "\(path).timeToLive '\(text)': \(error) (milliseconds or an ISO-8601 duration such as PT1H)")
                }
            }
        }
        if let when = fields["when"] {
            guard let conditions = when.mapping else { throw reader.fail(when, "\(path).when must map fields to the values they must have") }
            for (key, value) in conditions {
                let name = try reader.string(key, "\(path).when")
                guard let field = EventField(name) else { throw reader.fail(key, "\(path).when: '\(name)' is not a field") }
                rule.when[field] = scalar(value)
            }
        }
        if let variables = fields["variables"] {
            if let mapping = variables.mapping {
                var named: [String: EventField] = [:]
                for (key, value) in mapping {
                    let name = try reader.string(key, "\(path).variables")
                    let text = try reader.string(value, "\(path).variables.\(name)")
                    guard let field = EventField(text) else { throw reader.fail(value, "\(path).variables.\(name) '\(text)' is not a field") }
                    named[name] = field
                }
                rule.variables = .mapping(named)
            } else {
                let text = try reader.string(variables, "\(path).variables")
                switch text {
                case "event": rule.variables = .event
                case "none": rule.variables = .none
                default:
                    guard let field = EventField(text) else {
                        throw reader.fail(variables, "\(path).variables must be event, none, a field ($.order) or a mapping of names to fields")
                    }
                    rule.variables = .part(field)
                }
            }
        }
        return rule
    }

    /// A YAML scalar as the JSON value an event field is compared with.
    private static func scalar(_ node: Node) -> JSONValue {
        if let bool = node.bool { return .bool(bool) }
        if let number = node.float, node.scalar?.style == .plain, node.int != nil || node.string?.contains(".") == true {
            return .number(number)
        }
        return .string(node.string ?? "")
    }
}
