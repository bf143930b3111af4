import BatonModel

/// Fields of a JSON request body, checked: each refusal names the field (400).
enum RequestFields {
    static func string(_ object: [String: JSONValue], _ field: String, required: Bool = false) throws(GatewayError) -> String? {
        guard let value = object[field], value != .null else {
            if required { throw .invalid("\(field) is required") }
            return nil
        }
        guard case .string(let text) = value else { throw .invalid("\(field) must be a string") }
        guard text.utf8.count <= 65_536 else { throw .invalid("\(field) is longer than 65536 bytes") }
        return text
    }

    static func integer(_ object: [String: JSONValue], _ field: String, required: Bool = false, minimum: Int64 = .min, maximum: Int64 = .max) throws(GatewayError) -> Int64? {
        guard let value = object[field], value != .null else {
            if required { throw .invalid("\(field) is required") }
            return nil
        }
        guard case .number(let number) = value, number == number.rounded(.towardZero), abs(number) < 9.007_199_254_740_992e15 else {
            throw .invalid("\(field) must be a whole number")
        }
        let integer = Int64(number)
        guard integer >= minimum, integer <= maximum else {
            throw .invalid(maximum == .max ? "\(field) must be at least \(minimum)" : "\(field) must be between \(minimum) and \(maximum)")
        }
        return integer
    }

    static func bool(_ object: [String: JSONValue], _ field: String) throws(GatewayError) -> Bool? {
        guard let value = object[field], value != .null else { return nil }
        guard case .bool(let flag) = value else { throw .invalid("\(field) must be true or false") }
        return flag
    }

    static func strings(_ object: [String: JSONValue], _ field: String) throws(GatewayError) -> [String]? {
        guard let value = object[field], value != .null else { return nil }
        guard case .array(let items) = value else { throw .invalid("\(field) must be an array of strings") }
        var strings: [String] = []
        for item in items {
            guard case .string(let text) = item else { throw .invalid("\(field) must be an array of strings") }
            strings.append(text)
        }
        return strings
    }
}
