import BatonModel

/// The JSON a process's thrown message becomes on `baton.messages` (topics/README.md):
///
/// ```json
/// {"messageKey":"…","name":"order-shipped","correlationId":"order-1",
///  "processInstanceKey":"…","elementInstanceKey":"…","variables":{…},"time":1795790000000}
/// ```
///
/// Published at least once (again after a crash between the step and the publication):
/// `messageKey` identifies a message.
public enum ThrownMessage {
    public static func json(_ record: Record) -> JSONValue {
        guard case .message(let message) = record.value else { return .null }
        return .object([
            "messageKey": .string(String(message.messageKey)), "name": .string(message.name), "correlationId": .string(record.key),
            "processInstanceKey": .string(String(message.instanceKey)), "elementInstanceKey": .string(String(message.elementInstanceKey)),
            "variables": .object(message.variables), "time": .number(Double(record.timestamp)),
        ])
    }
}
