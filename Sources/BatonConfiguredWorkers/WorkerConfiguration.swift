import BatonModel
import Yams

/// What `baton worker --config FILE` runs: for each task topic, an HTTP endpoint or a
/// command, with its concurrency, lock and retry policy (docs/WORKERS.md). Read from YAML
/// (JSON is YAML too).
///
/// ```yaml
/// workerId: order-workers
/// topics:
///   charge-payment:
///     http:
///       url: http://127.0.0.1:8090/charge
///       headers: {Authorization: "Bearer ${PAYMENT_TOKEN}"}
///       timeoutMs: 10000
///       bpmnErrorStatus: [422]
///     maxConcurrent: 16
///     lockDurationMs: 30000
///     retries: 3
///     retryTimeoutMs: 1000
///     backoff: exponential
///   send-invoice:
///     exec:
///       command: [./send-invoice.sh, --fast]
///       timeoutMs: 5000
/// ```
public struct WorkerConfiguration: Sendable {
    public var workerId: String?
    public var topics: [TopicWorker]

    /// One topic and what answers its tasks.
    public struct TopicWorker: Sendable {
        public var topic: String
        public var action: Action
        public var maxConcurrent: Int
        /// ms a task is locked for this worker; extended while the call runs.
        public var lockDuration: Int64
        public var retry: RetryPolicy
    }

    public enum Action: Sendable {
        case http(HTTPAction)
        case exec(CommandAction)

        /// The longest one call may take (ms).
        public var timeout: Int64 {
            switch self {
            case .http(let action): action.timeout
            case .exec(let action): action.timeout
            }
        }
    }

    public struct HTTPAction: Sendable {
        public var url: String
        /// Header values with `${NAME}` already replaced from the environment.
        public var headers: [(name: String, value: String)]
        public var timeout: Int64
        /// Statuses that mean "a business error": the body's errorCode (or HTTP_<status>)
        /// becomes a BPMN error.
        public var bpmnErrorStatus: Set<Int>
        public var maximumResponseBytes: Int
    }

    public struct CommandAction: Sendable {
        public var command: [String]
        public var timeout: Int64
        /// The exit code that means a BPMN error (stdout's errorCode, or EXIT_<code>).
        public var bpmnErrorExitCode: Int32
        public var maximumOutputBytes: Int
    }

    /// How a failed call (5xx, timeout, connection error, non-zero exit) is reported.
    public struct RetryPolicy: Sendable, Hashable {
        /// At most this many retries (the BPMN task's retries bound it too); nil: the
        /// task's own count decides.
        public var retries: Int32?
        public var retryTimeout: Int64
        public var exponential: Bool
        public var maximumRetryTimeout: Int64

        public init(retries: Int32? = nil, retryTimeout: Int64 = 1000, exponential: Bool = false, maximumRetryTimeout: Int64 = 600_000) {
            self.retries = retries
            self.retryTimeout = retryTimeout
            self.exponential = exponential
            self.maximumRetryTimeout = maximumRetryTimeout
        }

        /// Retries left after this failure of `task`: one fewer than the engine counts, and
        /// no more than configured.
        public func retriesLeft(after task: TaskMessage) -> Int32 {
            let left = max(0, task.retries - 1)
            return retries.map { min(left, $0) } ?? left
        }

        /// The wait before the next attempt; doubled per earlier attempt with `exponential`.
        public func timeout(after task: TaskMessage) -> Int64 {
            guard exponential else { return retryTimeout }
            let doublings = Int64(min(max(0, task.attempt - 1), 30))
            return min(maximumRetryTimeout, retryTimeout.multipliedReportingOverflow(by: 1 << doublings).overflow ? maximumRetryTimeout : retryTimeout << doublings)
        }
    }

    /// Larger configuration files are refused unread.
    public static let maximumBytes = 1 << 20

    /// Reads a configuration; errors name the file, the line and the field.
    public static func load(_ text: String, file: String, environment: [String: String]) throws(ConfigurationError) -> WorkerConfiguration {
        let root = try ConfigurationReader.root(of: text, file: file, kind: "a workers file", maximumBytes: maximumBytes, needs: "a 'topics' mapping")
        let reader = ConfigurationReader(file: file, environment: environment)
        return try reader.configuration(root)
    }
}

/// A configuration mistake at a line of the file.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let message: String

    public init(file: String, line: Int, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
}

/// Walks the YAML nodes, naming the field path and line of anything wrong (shared with the
/// ingest rules, which are read the same way).
public struct ConfigurationReader {
    let file: String
    let environment: [String: String]

    public init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    /// The root node of a YAML (or JSON) file of at most `maximumBytes`; errors name the
    /// file and say what the file needs (`kind`: "a workers file").
    public static func root(of text: String, file: String, kind: String, maximumBytes: Int, needs: String) throws(ConfigurationError) -> Node {
        guard text.utf8.count <= maximumBytes else {
            throw ConfigurationError(file: file, line: 0, "the file has \(text.utf8.count) bytes; \(kind) may have at most \(maximumBytes)")
        }
        do {
            guard let node = try Yams.compose(yaml: text) else { throw ConfigurationError(file: file, line: 1, "the file is empty: it needs \(needs)") }
            return node
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError(file: file, line: 0, "not YAML (or JSON): \(error)")
        }
    }

    public func fail(_ node: Node?, _ message: String) -> ConfigurationError {
        ConfigurationError(file: file, line: node?.mark?.line ?? 0, message)
    }

    public func mapping(_ node: Node, _ path: String, allowed: Set<String>) throws(ConfigurationError) -> [String: Node] {
        guard let mapping = node.mapping else { throw fail(node, "\(path) must be a mapping") }
        var fields: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw fail(key, "\(path): keys must be strings") }
            guard allowed.contains(name) else {
                throw fail(key, "\(path).\(name) is not a setting here (allowed: \(allowed.sorted().joined(separator: ", ")))")
            }
            fields[name] = value
        }
        return fields
    }

    public func string(_ node: Node?, _ path: String) throws(ConfigurationError) -> String {
        guard let node, let scalar = node.scalar else { throw fail(node, "\(path) must be a string") }
        return scalar.string
    }

    public func whole(_ node: Node?, _ path: String, default value: Int64, range: ClosedRange<Int64>) throws(ConfigurationError) -> Int64 {
        guard let node else { return value }
        guard let number = node.int, range.contains(Int64(number)) else {
            throw fail(node, "\(path) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int64(number)
    }

    /// `${NAME}` replaced by the environment's value; a missing variable is an error.
    public func expanded(_ text: String, _ node: Node?, _ path: String) throws(ConfigurationError) -> String {
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { throw fail(node, "\(path): '${' without a closing '}'") }
            let name = String(rest[start.upperBound..<end])
            guard let value = environment[name] else { throw fail(node, "\(path) uses ${\(name)}, which is not set in the environment") }
            result += value
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }

    func configuration(_ root: Node) throws(ConfigurationError) -> WorkerConfiguration {
        let fields = try mapping(root, "the file", allowed: ["workerId", "topics"])
        guard let topicsNode = fields["topics"], let topics = topicsNode.mapping, !topics.isEmpty else {
            throw fail(fields["topics"] ?? root, "'topics' must map at least one task topic to an http or exec worker")
        }
        var workers: [WorkerConfiguration.TopicWorker] = []
        for (key, value) in topics {
            let topic = try string(key, "a topic name")
            workers.append(try topicWorker(topic, value))
        }
        return WorkerConfiguration(workerId: try fields["workerId"].map { (node) throws(ConfigurationError) in try string(node, "workerId") }, topics: workers)
    }

    func topicWorker(_ topic: String, _ node: Node) throws(ConfigurationError) -> WorkerConfiguration.TopicWorker {
        let path = "topics.\(topic)"
        let fields = try mapping(node, path, allowed: [
            "http", "exec", "maxConcurrent", "lockDurationMs", "retries", "retryTimeoutMs", "backoff", "maxRetryTimeoutMs",
        ])
        let action: WorkerConfiguration.Action
        switch (fields["http"], fields["exec"]) {
        case (let http?, nil): action = .http(try httpAction(http, path + ".http"))
        case (nil, let exec?): action = .exec(try commandAction(exec, path + ".exec"))
        default: throw fail(node, "\(path) needs exactly one of 'http' or 'exec'")
        }
        var retry = WorkerConfiguration.RetryPolicy()
        if let retries = fields["retries"] { retry.retries = Int32(try whole(retries, path + ".retries", default: 0, range: 0...1000)) }
        retry.retryTimeout = try whole(fields["retryTimeoutMs"], path + ".retryTimeoutMs", default: 1000, range: 0...86_400_000)
        retry.maximumRetryTimeout = try whole(fields["maxRetryTimeoutMs"], path + ".maxRetryTimeoutMs", default: 600_000, range: 0...86_400_000)
        if let backoff = fields["backoff"] {
            switch try string(backoff, path + ".backoff") {
            case "fixed": retry.exponential = false
            case "exponential": retry.exponential = true
            case let other: throw fail(backoff, "\(path).backoff is '\(other)'; it must be fixed or exponential")
            }
        }
        return WorkerConfiguration.TopicWorker(
            topic: topic, action: action,
            maxConcurrent: Int(try whole(fields["maxConcurrent"], path + ".maxConcurrent", default: 8, range: 1...10_000)),
            lockDuration: try whole(fields["lockDurationMs"], path + ".lockDurationMs", default: 30_000, range: 1000...86_400_000),
            retry: retry)
    }

    func httpAction(_ node: Node, _ path: String) throws(ConfigurationError) -> WorkerConfiguration.HTTPAction {
        let fields = try mapping(node, path, allowed: ["url", "headers", "timeoutMs", "bpmnErrorStatus", "maxResponseBytes"])
        let url = try expanded(try string(fields["url"], path + ".url"), fields["url"], path + ".url")
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw fail(fields["url"], "\(path).url is '\(url)'; it must start with http:// or https://") }
        var headers: [(name: String, value: String)] = []
        if let headerNode = fields["headers"] {
            guard let mapping = headerNode.mapping else { throw fail(headerNode, "\(path).headers must map header names to values") }
            for (key, value) in mapping {
                let name = try string(key, path + ".headers")
                headers.append((name, try expanded(try string(value, "\(path).headers.\(name)"), value, "\(path).headers.\(name)")))
            }
        }
        var statuses: Set<Int> = []
        if let statusNode = fields["bpmnErrorStatus"] {
            let items = statusNode.sequence.map(Array.init) ?? [statusNode]
            for item in items {
                guard let status = item.int, (400...599).contains(status) else { throw fail(item, "\(path).bpmnErrorStatus must list HTTP statuses from 400 to 599") }
                statuses.insert(status)
            }
        }
        return WorkerConfiguration.HTTPAction(
            url: url, headers: headers, timeout: try whole(fields["timeoutMs"], path + ".timeoutMs", default: 30_000, range: 1...86_400_000),
            bpmnErrorStatus: statuses,
            maximumResponseBytes: Int(try whole(fields["maxResponseBytes"], path + ".maxResponseBytes", default: 1 << 20, range: 1...(16 << 20))))
    }

    func commandAction(_ node: Node, _ path: String) throws(ConfigurationError) -> WorkerConfiguration.CommandAction {
        let fields = try mapping(node, path, allowed: ["command", "timeoutMs", "bpmnErrorExitCode", "maxOutputBytes"])
        var command: [String] = []
        if let commandNode = fields["command"], let items = commandNode.sequence {
            for item in items { command.append(try expanded(try string(item, path + ".command"), item, path + ".command")) }
        } else if let commandNode = fields["command"], let scalar = commandNode.scalar {
            command = ["/bin/sh", "-c", try expanded(scalar.string, commandNode, path + ".command")]
        }
        guard let program = command.first, !program.isEmpty else {
            throw fail(fields["command"] ?? node, "\(path).command must be a program and its arguments (a list), or a shell command line (a string)")
        }
        return WorkerConfiguration.CommandAction(
            command: command, timeout: try whole(fields["timeoutMs"], path + ".timeoutMs", default: 60_000, range: 1...86_400_000),
            bpmnErrorExitCode: Int32(try whole(fields["bpmnErrorExitCode"], path + ".bpmnErrorExitCode", default: 3, range: 1...255)),
            maximumOutputBytes: Int(try whole(fields["maxOutputBytes"], path + ".maxOutputBytes", default: 1 << 20, range: 1...(16 << 20))))
    }
}
