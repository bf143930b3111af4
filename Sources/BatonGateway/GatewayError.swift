import BatonModel
import HTTPTypes

/// A request the gateway refuses, answered with its status and Camunda 7's error body
/// (`{"type": "…Exception", "message": "…", "code": 0}`), or under `/v2` Camunda 8's RFC
/// 9457 problem detail (`{"type", "title", "status", "detail", "instance"}`).
public struct GatewayError: Error, Sendable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let type: String
    public let message: String

    public init(_ status: HTTPResponse.Status, type: String, _ message: String) {
        self.status = status
        self.type = type
        self.message = message
    }

    /// 400: the request is malformed; the message names the field.
    public static func invalid(_ message: String) -> GatewayError { GatewayError(.badRequest, type: "InvalidRequestException", message) }
    /// 404: what the request names does not exist.
    public static func notFound(_ message: String) -> GatewayError { GatewayError(.notFound, type: "RestException", message) }
    /// 500: the engine refused the command (Camunda reports a lock held by another worker so).
    public static func refused(_ message: String) -> GatewayError { GatewayError(.internalServerError, type: "BadUserRequestException", message) }

    public var description: String { "\(status.code) \(type): \(message)" }

    public var body: [UInt8] {
        var json = JSONObjectWriter(capacity: 64 + message.utf8.count)
        json.string("type", type)
        json.string("message", message)
        json.number("code", 0)
        return json.finish()
    }

    /// Camunda 8's problem detail for a request to `path`.
    public func problem(path: String) -> [UInt8] {
        var json = JSONObjectWriter(capacity: 96 + message.utf8.count + path.utf8.count)
        json.string("type", "about:blank")
        json.string("title", problemTitle)
        json.number("status", Int64(status.code))
        json.string("detail", message)
        json.string("instance", path)
        return json.finish()
    }

    /// The titles Camunda 8's gateway gives its statuses.
    var problemTitle: String {
        switch status.code {
        case 400: "INVALID_ARGUMENT"
        case 401: "UNAUTHORIZED"
        case 404: "NOT_FOUND"
        case 409: "INVALID_STATE"
        case 413: "PAYLOAD_TOO_LARGE"
        case 503: "UNAVAILABLE"
        default: status.code >= 500 ? "INTERNAL" : status.reasonPhrase
        }
    }
}
