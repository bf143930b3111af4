import BatonModel

/// Camunda 7's typed variables (`{"name": {"value": …, "type": "String", "valueInfo": {}}}`)
/// to and from Baton's JSON variables. `Json` and `Object` (with a JSON serialization) values
/// are JSON text in Camunda and JSON documents in Baton, so the `ProcessTaskResults` DTO sent
/// as a Json variable comes back as the same Json variable.
public enum CamundaVariables {
    /// Reads a variables object; `field` names it in errors ("variables", "localVariables").
    public static func decode(_ json: JSONValue?, field: String) throws(GatewayError) -> [String: JSONValue] {
        guard let json, json != .null else { return [:] }
        guard let object = json.objectValue else { throw .invalid("\(field) must be an object of {\"value\": …, \"type\": …} entries") }
        var variables: [String: JSONValue] = [:]
        for (name, entry) in object {
            guard !name.isEmpty else { throw .invalid("\(field) has a variable with an empty name") }
            guard let typed = entry.objectValue else {
                throw .invalid("\(field).\(name) must be an object with a \"value\" (and optionally a \"type\")")
            }
            variables[name] = try value(typed, path: "\(field).\(name)")
        }
        return variables
    }

    static func value(_ typed: [String: JSONValue], path: String) throws(GatewayError) -> JSONValue {
        let value = typed["value"] ?? .null
        guard let typeValue = typed["type"], typeValue != .null else { return value }
        guard case .string(let type) = typeValue else { throw .invalid("\(path).type must be a string") }
        switch type.lowercased() {
        case "null":
            return .null
        case "string", "date":
            guard case .string = value else { throw .invalid("\(path) has type \(type) but its value is not a string") }
            return value
        case "boolean":
            guard case .bool = value else { throw .invalid("\(path) has type Boolean but its value is not true or false") }
            return value
        case "integer", "long", "short":
            guard case .number(let number) = value, number == number.rounded(.towardZero), abs(number) < 9.007_199_254_740_992e15 else {
                throw .invalid("\(path) has type \(type) but its value is not a whole number")
            }
            return value
        case "double":
            guard case .number = value else { throw .invalid("\(path) has type Double but its value is not a number") }
            return value
        case "json", "object":
            // Camunda sends both as JSON text; a client that sends the document itself is taken at its word.
            guard case .string(let text) = value else { return value }
            if type.lowercased() == "object", let format = typed["valueInfo"]?["serializationDataFormat"], format != .string("application/json") {
                throw .invalid("\(path) is an Object serialized as \(format.jsonText); Baton keeps JSON only (application/json)")
            }
            do {
                return try JSONValue.parse(Array(text.utf8))
            } catch {
                throw .invalid("\(path) has type \(type) but its value is not JSON text: \(error)")
            }
        default:
            throw .invalid("\(path) has type \(type); Baton takes String, Boolean, Integer, Long, Short, Double, Date, Json, Object and Null")
        }
    }

    /// Baton variables in Camunda's typed form.
    public static func encode(_ variables: [String: JSONValue]) -> JSONValue {
        .object(variables.mapValues(typed))
    }

    public static func typed(_ value: JSONValue) -> JSONValue {
        switch value {
        case .null:
            return .object(["value": .null, "type": .string("Null"), "valueInfo": .object([:])])
        case .bool:
            return .object(["value": value, "type": .string("Boolean"), "valueInfo": .object([:])])
        case .string:
            return .object(["value": value, "type": .string("String"), "valueInfo": .object([:])])
        case .number(let number):
            let type: String
            if number == number.rounded(.towardZero), abs(number) < 9.007_199_254_740_992e15 {
                type = abs(number) <= Double(Int32.max) ? "Integer" : "Long"
            } else {
                type = "Double"
            }
            return .object(["value": value, "type": .string(type), "valueInfo": .object([:])])
        case .array, .object:
            return .object(["value": .string(value.jsonText), "type": .string("Json"), "valueInfo": .object([:])])
        }
    }
}
