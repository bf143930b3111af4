import BatonModel

/// The id a Camunda client sees for a task: everything any gateway replica needs to route
/// an answer without looking anything up — `<instanceKey>-<taskKey>-<attempt>-<correlationId
/// in base64url>` (URL-safe, so clients may put it in a path unescaped). Each attempt has its
/// own id: an answer to an attempt that is over is refused.
public struct ExternalTaskID: Sendable, Hashable, CustomStringConvertible {
    public let instanceKey: Int64
    public let taskKey: Int64
    public let attempt: Int32
    public let correlationId: String

    public init(instanceKey: Int64, taskKey: Int64, attempt: Int32, correlationId: String) {
        self.instanceKey = instanceKey
        self.taskKey = taskKey
        self.attempt = attempt
        self.correlationId = correlationId
    }

    public init?(message: TaskMessage) {
        guard let instanceKey = Int64(message.processInstanceId) else { return nil }
        self.init(instanceKey: instanceKey, taskKey: message.taskKey, attempt: message.attempt, correlationId: message.correlationId)
    }

    /// Parses an id; nil when it is not one Baton gave out.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, let instanceKey = Int64(parts[0]), let taskKey = Int64(parts[1]), let attempt = Int32(parts[2]),
            let bytes = Self.decode(String(parts[3])), let correlationId = String(validating: bytes, as: UTF8.self), !correlationId.isEmpty
        else { return nil }
        self.init(instanceKey: instanceKey, taskKey: taskKey, attempt: attempt, correlationId: correlationId)
    }

    public var description: String { "\(instanceKey)-\(taskKey)-\(attempt)-\(Self.encode(Array(correlationId.utf8)))" }

    /// base64url without padding.
    static func encode(_ bytes: [UInt8]) -> String {
        var text = Base64.encode(bytes)
        while text.hasSuffix("=") { text.removeLast() }
        return String(text.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }

    static func decode(_ text: String) -> [UInt8]? {
        guard !text.isEmpty, text.utf8.count <= 4096 else { return nil }
        var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        while standard.utf8.count % 4 != 0 { standard.append("=") }
        return Base64.decode(standard)
    }
}
