import BatonModel

/// Comparison and arithmetic on expression values, temporal ones included.
enum Operators {
    static func apply(_ op: BinaryOperator, _ lhs: ExpressionValue, _ rhs: ExpressionValue) throws(ExpressionError) -> ExpressionValue {
        switch op {
        case .equal: return .bool(equal(lhs, rhs))
        case .notEqual: return .bool(!equal(lhs, rhs))
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            if lhs == .null || rhs == .null { return .null }
            guard let order = order(lhs, rhs) else {
                throw ExpressionError(message: "cannot compare \(lhs.shown) with \(rhs.shown)", offset: 0)
            }
            switch op {
            case .less: return .bool(order < 0)
            case .lessOrEqual: return .bool(order <= 0)
            case .greater: return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        case .add: return try add(lhs, rhs)
        case .subtract: return try subtract(lhs, rhs)
        case .multiply, .divide, .remainder, .power: return try multiplicative(op, lhs, rhs)
        case .and, .or: preconditionFailure("evaluated with short-circuit before")
        }
    }

    /// FEEL equality: numbers, strings, lists and contexts by value; zoned date-times as
    /// instants.
    static func equal(_ lhs: ExpressionValue, _ rhs: ExpressionValue) -> Bool {
        switch (lhs, rhs) {
        case (.dateTime(let a, let zoneA), .dateTime(let b, let zoneB)): return a == b && (zoneA == nil) == (zoneB == nil)
        case (.list(let a), .list(let b)): return a.count == b.count && zip(a, b).allSatisfy { equal($0, $1) }
        case (.context(let a), .context(let b)):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { equal(value, $0) } ?? false }
        default: return lhs == rhs
        }
    }

    /// -1, 0 or 1 for values of one ordered kind; nil for values that do not compare.
    static func order(_ lhs: ExpressionValue, _ rhs: ExpressionValue) -> Int? {
        func compare<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a > b ? 1 : 0) }
        switch (lhs, rhs) {
        case (.number(let a), .number(let b)): return compare(a, b)
        case (.string(let a), .string(let b)): return compare(a, b)
        case (.date(let a), .date(let b)): return compare(a, b)
        case (.dateTime(let a, let zoneA), .dateTime(let b, let zoneB)) where (zoneA == nil) == (zoneB == nil): return compare(a, b)
        case (.time(let a, let zoneA), .time(let b, let zoneB)):
            return compare(a - Int64(zoneA ?? 0) * 1000, b - Int64(zoneB ?? 0) * 1000)
        case (.duration(let a), .duration(let b)): return compare(a, b)
        case (.yearsMonths(let a), .yearsMonths(let b)): return compare(a, b)
        default: return nil
        }
    }

    static func add(_ lhs: ExpressionValue, _ rhs: ExpressionValue) throws(ExpressionError) -> ExpressionValue {
        switch (lhs, rhs) {
        case (.null, _), (_, .null): return .null
        case (.number(let a), .number(let b)): return .number(a + b)
        case (.string(let a), .string(let b)): return .string(a + b)
        // Baton (like Camunda 7) joins a string with any value's text.
        case (.string(let a), _): return .string(a + text(rhs))
        case (_, .string(let b)): return .string(text(lhs) + b)
        case (.duration(let a), .duration(let b)): return .duration(a + b)
        case (.yearsMonths(let a), .yearsMonths(let b)): return .yearsMonths(a + b)
        case (.dateTime(let at, let zone), .duration(let by)), (.duration(let by), .dateTime(let at, let zone)):
            return .dateTime(at + by, offset: zone)
        case (.dateTime(let at, let zone), .yearsMonths(let months)), (.yearsMonths(let months), .dateTime(let at, let zone)):
            return .dateTime(FEELTime.addMonths(months, to: at, offset: zone), offset: zone)
        case (.date(let days), .duration(let by)), (.duration(let by), .date(let days)):
            return .date(days + FEELTime.floorDivide(by, FEELTime.day))
        case (.date(let days), .yearsMonths(let months)), (.yearsMonths(let months), .date(let days)):
            return .date(FEELTime.addMonths(months, toDays: days))
        case (.time(let at, let zone), .duration(let by)), (.duration(let by), .time(let at, let zone)):
            return .time(((at + by) % FEELTime.day + FEELTime.day) % FEELTime.day, offset: zone)
        default:
            throw ExpressionError(message: "cannot add \(lhs.shown) and \(rhs.shown)", offset: 0)
        }
    }

    static func subtract(_ lhs: ExpressionValue, _ rhs: ExpressionValue) throws(ExpressionError) -> ExpressionValue {
        switch (lhs, rhs) {
        case (.null, _), (_, .null): return .null
        case (.number(let a), .number(let b)): return .number(a - b)
        case (.duration(let a), .duration(let b)): return .duration(a - b)
        case (.yearsMonths(let a), .yearsMonths(let b)): return .yearsMonths(a - b)
        case (.dateTime(let a, let zoneA), .dateTime(let b, let zoneB)) where (zoneA == nil) == (zoneB == nil):
            return .duration(a - b)
        case (.date(let a), .date(let b)): return .duration((a - b) * FEELTime.day)
        case (.time(let a, let zoneA), .time(let b, let zoneB)):
            return .duration((a - Int64(zoneA ?? 0) * 1000) - (b - Int64(zoneB ?? 0) * 1000))
        case (.dateTime, .duration(let by)), (.dateTime, .yearsMonths(let by)), (.date, .duration(let by)),
             (.date, .yearsMonths(let by)), (.time, .duration(let by)):
            let negated: ExpressionValue = if case .duration = rhs { .duration(-by) } else { .yearsMonths(-by) }
            return try add(lhs, negated)
        default:
            throw ExpressionError(message: "cannot subtract \(rhs.shown) from \(lhs.shown)", offset: 0)
        }
    }

    static func multiplicative(_ op: BinaryOperator, _ lhs: ExpressionValue, _ rhs: ExpressionValue) throws(ExpressionError) -> ExpressionValue {
        switch (op, lhs, rhs) {
        case (_, .null, _), (_, _, .null): return .null
        case (_, .number(let a), .number(let b)):
            switch op {
            case .multiply: return .number(a * b)
            case .power:
                let result = pow(a, b)
                guard result.isFinite else { throw ExpressionError(message: "\(JSONValue.format(a)) ** \(JSONValue.format(b)) is too large", offset: 0) }
                return .number(result)
            default:
                guard b != 0 else { throw ExpressionError(message: "division by zero", offset: 0) }
                return .number(op == .divide ? a / b : a.truncatingRemainder(dividingBy: b))
            }
        case (.multiply, .duration(let a), .number(let b)), (.multiply, .number(let b), .duration(let a)):
            return .duration(Int64((Double(a) * b).rounded()))
        case (.multiply, .yearsMonths(let a), .number(let b)), (.multiply, .number(let b), .yearsMonths(let a)):
            return .yearsMonths(Int64((Double(a) * b).rounded()))
        case (.divide, .duration(let a), .number(let b)):
            guard b != 0 else { throw ExpressionError(message: "division by zero", offset: 0) }
            return .duration(Int64((Double(a) / b).rounded()))
        case (.divide, .duration(let a), .duration(let b)):
            guard b != 0 else { throw ExpressionError(message: "division by zero", offset: 0) }
            return .number(Double(a) / Double(b))
        case (.divide, .yearsMonths(let a), .yearsMonths(let b)):
            guard b != 0 else { throw ExpressionError(message: "division by zero", offset: 0) }
            return .number(Double(a) / Double(b))
        default:
            throw ExpressionError(message: "'\(op.rawValue)' needs numbers, got \(lhs.shown) and \(rhs.shown)", offset: 0)
        }
    }

    /// A value as text when it is joined to a string (JSON for lists and contexts).
    static func text(_ value: ExpressionValue) -> String {
        switch value {
        case .string(let text): text
        case .date, .dateTime, .time, .duration, .yearsMonths: FEELTime.text(value)
        default: value.json.jsonText
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
