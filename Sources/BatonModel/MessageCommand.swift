/// The language-neutral form of `publishMessage`, which any Kafka client can produce to the
/// journal keyed by the correlation key (topics/README.md, topics/schemas/):
///
/// ```json
/// {"type":"publishMessage","name":"payment-confirmed","correlationKey":"order-1",
///  "variables":{"paid":true},"timeToLive":600000,"messageId":"pay-77"}
/// ```
public enum MessageCommand {
    public static let type = "publishMessage"
    static let fields: Set<String> = ["type", "name", "correlationKey", "variables", "timeToLive", "messageId", "timestamp"]

    static func publish(_ fields: [String: JSONValue]) throws(AnswerError) -> Record {
        if let unknown = fields.keys.sorted().first(where: { !Self.fields.contains($0) }) {
            throw AnswerError("field '\(unknown)' is not part of a publishMessage command (allowed: \(Self.fields.sorted().joined(separator: ", ")))")
        }
        let reader = FieldReader(fields: fields, type: type)
        let name = try reader.string("name")
        guard !name.isEmpty else { throw AnswerError("'name' must not be empty") }
        let key = try reader.string("correlationKey")
        guard !key.isEmpty else { throw AnswerError("'correlationKey' must not be empty") }
        let message = MessageRecord(
            name: name, variables: try reader.variables(),
            timeToLive: try reader.optionalWhole("timeToLive", in: 0...Int64(Int32.max) * 1000) ?? 0,
            messageId: try reader.optionalString("messageId") ?? "")
        let timestamp = try reader.optionalWhole("timestamp", in: 0...Int64.max / 2) ?? 0
        return .command(.publishMessage, key: key, value: .message(message), timestamp: timestamp)
    }

    /// The JSON form of a `publishMessage` command (the inverse of `publish`).
    public static func json(for command: Record) -> JSONValue? {
        guard command.intent == .publishMessage, case .message(let message) = command.value else { return nil }
        var fields: [String: JSONValue] = [
            "type": .string(type), "name": .string(message.name), "correlationKey": .string(command.key),
            "variables": .object(message.variables), "timeToLive": .number(Double(message.timeToLive)),
        ]
        if !message.messageId.isEmpty { fields["messageId"] = .string(message.messageId) }
        return .object(fields)
    }
}
