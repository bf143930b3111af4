import BatonModel

/// Evaluates a parsed expression against an instance's variables.
///
/// Null handling follows FEEL: a path to a missing variable or field is null; arithmetic
/// and ordering comparisons with null give null; `and`/`or` are three-valued. A condition
/// that evaluates to null counts as false; any other non-boolean is an error.
struct ExpressionEvaluator {
    let variables: [String: JSONValue]
    /// Read when no variable of that name exists: `taskResults`.
    let taskResults: [TaskResult]

    func condition(_ expression: ParsedExpression) throws(ExpressionError) -> Bool {
        switch try evaluate(expression.root) {
        case .bool(let value): return value
        case .null: return false
        case let other:
            throw ExpressionError(message: "condition '\(expression.source)' gave \(other.jsonText), not true or false", offset: 0)
        }
    }

    func evaluate(_ expression: Expression) throws(ExpressionError) -> JSONValue {
        switch expression {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .number(let value): return .number(value)
        case .string(let value): return .string(value)
        case .path(let segments): return resolve(segments)
        case .unary(.not, let operand):
            switch try evaluate(operand) {
            case .bool(let value): return .bool(!value)
            case .null: return .null
            case let other: throw mismatch("not", other)
            }
        case .unary(.negate, let operand):
            switch try evaluate(operand) {
            case .number(let value): return .number(-value)
            case .null: return .null
            case let other: throw mismatch("-", other)
            }
        case .binary(.and, let left, let right):
            let lhs = try boolOrNull(try evaluate(left), "and")
            if lhs == false { return .bool(false) }
            let rhs = try boolOrNull(try evaluate(right), "and")
            if rhs == false { return .bool(false) }
            return lhs == true && rhs == true ? .bool(true) : .null
        case .binary(.or, let left, let right):
            let lhs = try boolOrNull(try evaluate(left), "or")
            if lhs == true { return .bool(true) }
            let rhs = try boolOrNull(try evaluate(right), "or")
            if rhs == true { return .bool(true) }
            return lhs == false && rhs == false ? .bool(false) : .null
        case .binary(let op, let left, let right):
            return try binary(op, try evaluate(left), try evaluate(right))
        }
    }

    private func resolve(_ segments: [PathSegment]) -> JSONValue {
        guard case .field(let name) = segments[0] else { return .null }
        var current: JSONValue
        if let value = variables[name] {
            current = value
        } else if name == "taskResults" {
            current = .array(taskResults.map(\.json))
        } else {
            return .null
        }
        for segment in segments.dropFirst() {
            switch (segment, current) {
            case (.field(let field), .object(let members)): current = members[field] ?? .null
            case (.index(let index), .array(let items)): current = index < items.count ? items[index] : .null
            case (.fromEnd(let count), .array(let items)): current = count >= 1 && count <= items.count ? items[items.count - count] : .null
            default: return .null
            }
        }
        return current
    }

    private func boolOrNull(_ value: JSONValue, _ op: String) throws(ExpressionError) -> Bool? {
        switch value {
        case .bool(let flag): return flag
        case .null: return nil
        default: throw mismatch(op, value)
        }
    }

    private func mismatch(_ op: String, _ value: JSONValue) -> ExpressionError {
        ExpressionError(message: "'\(op)' cannot be applied to \(value.jsonText)", offset: 0)
    }

    private func binary(_ op: BinaryOperator, _ lhs: JSONValue, _ rhs: JSONValue) throws(ExpressionError) -> JSONValue {
        switch op {
        case .equal: return .bool(lhs == rhs)
        case .notEqual: return .bool(lhs != rhs)
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            let order: Int
            switch (lhs, rhs) {
            case (.null, _), (_, .null): return .null
            case (.number(let a), .number(let b)): order = a < b ? -1 : (a > b ? 1 : 0)
            case (.string(let a), .string(let b)): order = a < b ? -1 : (a > b ? 1 : 0)
            default:
                throw ExpressionError(message: "cannot compare \(lhs.jsonText) with \(rhs.jsonText)", offset: 0)
            }
            switch op {
            case .less: return .bool(order < 0)
            case .lessOrEqual: return .bool(order <= 0)
            case .greater: return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        case .add:
            switch (lhs, rhs) {
            case (.null, _), (_, .null): return .null
            case (.number(let a), .number(let b)): return .number(a + b)
            case (.string(let a), _): return .string(a + Self.text(rhs))
            case (_, .string(let b)): return .string(Self.text(lhs) + b)
            default: throw ExpressionError(message: "cannot add \(lhs.jsonText) and \(rhs.jsonText)", offset: 0)
            }
        case .subtract, .multiply, .divide, .remainder:
            switch (lhs, rhs) {
            case (.null, _), (_, .null): return .null
            case (.number(let a), .number(let b)):
                switch op {
                case .subtract: return .number(a - b)
                case .multiply: return .number(a * b)
                default:
                    guard b != 0 else { throw ExpressionError(message: "division by zero", offset: 0) }
                    return .number(op == .divide ? a / b : a.truncatingRemainder(dividingBy: b))
                }
            default:
                throw ExpressionError(message: "'\(op.rawValue)' needs numbers, got \(lhs.jsonText) and \(rhs.jsonText)", offset: 0)
            }
        case .and, .or:
            preconditionFailure("handled before")
        }
    }

    private static func text(_ value: JSONValue) -> String {
        if case .string(let text) = value { return text }
        return value.jsonText
    }
}
