import BatonModel
import BatonWorker

/// What came back from calling a service for a task, before it is turned into an answer.
enum CallResult: Sendable {
    /// The service did the work; its JSON result (null when it sent nothing).
    case done(JSONValue)
    /// A business error the process may catch.
    case businessError(code: String, message: String, variables: [String: JSONValue])
    /// Worth trying again later (5xx, timeout, connection refused, non-zero exit).
    case transient(message: String, details: String)
    /// Will fail the same way every time (a 4xx, an answer that is not JSON): an incident.
    case permanent(message: String, details: String)
}

extension CallResult {
    /// The answer the engine gets for `task`, with the topic's retry policy.
    func outcome(for task: TaskMessage, retry: WorkerConfiguration.RetryPolicy) -> TaskOutcome {
        switch self {
        case .done(let result):
            return .complete(data: result, variables: result["variables"]?.objectValue ?? [:])
        case .businessError(let code, let message, let variables):
            return .bpmnError(code: code, message: message, variables: variables)
        case .transient(let message, let details):
            return .failure(message: message, details: details, retries: retry.retriesLeft(after: task), retryTimeout: retry.timeout(after: task))
        case .permanent(let message, let details):
            return .failure(message: message, details: details, retries: 0)
        }
    }

    /// A service's JSON body read as a result: `errorCode` present means a business error
    /// when `asError` (an error status or exit code), otherwise the body is the result.
    static func parse(_ bytes: [UInt8], source: String, asError fallbackCode: String?) -> CallResult {
        let trimmed = bytes.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        let body: JSONValue
        if trimmed.isEmpty {
            body = .null
        } else {
            do {
                body = try JSONValue.parse(Array(trimmed))
            } catch {
                return .permanent(message: "\(source) answered with a body that is not JSON: \(error)", details: String(decoding: bytes.prefix(2000), as: UTF8.self))
            }
        }
        guard let fallbackCode else { return .done(body) }
        var code = fallbackCode
        if case .string(let given)? = body["errorCode"], !given.isEmpty { code = given }
        var message = ""
        if case .string(let given)? = body["errorMessage"] { message = given }
        return .businessError(code: code, message: message, variables: body["variables"]?.objectValue ?? [:])
    }
}
