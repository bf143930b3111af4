import BatonModel

/// What an expression computes: JSON's values plus FEEL's temporal ones. Variables are JSON;
/// a temporal value that ends up in a variable (or a task's topic, a timer) is written as
/// its ISO-8601 text, as Zeebe does.
indirect enum ExpressionValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case list([ExpressionValue])
    case context([String: ExpressionValue])
    /// Days since 1970-01-01.
    case date(Int64)
    /// Milliseconds since the epoch; with an offset (seconds east of UTC) the instant is
    /// zoned, without one it is a local date-time (counted as if it were UTC).
    case dateTime(Int64, offset: Int32?)
    /// Milliseconds since midnight, with an optional offset.
    case time(Int64, offset: Int32?)
    /// A days-and-time duration in milliseconds.
    case duration(Int64)
    /// A years-and-months duration in months.
    case yearsMonths(Int64)

    init(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .number(let value): self = .number(value)
        case .string(let value): self = .string(value)
        case .array(let items): self = .list(items.map(ExpressionValue.init))
        case .object(let members): self = .context(members.mapValues(ExpressionValue.init))
        }
    }

    /// The value as JSON (temporal values as ISO-8601 text).
    var json: JSONValue {
        switch self {
        case .null: .null
        case .bool(let value): .bool(value)
        case .number(let value): .number(value)
        case .string(let value): .string(value)
        case .list(let items): .array(items.map(\.json))
        case .context(let members): .object(members.mapValues(\.json))
        case .date, .dateTime, .time, .duration, .yearsMonths: .string(FEELTime.text(self))
        }
    }

    /// The value written for an error message.
    var shown: String {
        switch self {
        case .date, .dateTime, .time, .duration, .yearsMonths: "\(typeName.rawValue)(\"\(FEELTime.text(self))\")"
        default: json.jsonText
        }
    }

    var typeName: ValueTypeName {
        switch self {
        case .null: .null
        case .bool: .boolean
        case .number: .number
        case .string: .string
        case .list: .list
        case .context: .context
        case .date: .date
        case .dateTime: .dateTime
        case .time: .time
        case .duration: .daysAndTimeDuration
        case .yearsMonths: .yearsAndMonthsDuration
        }
    }

    /// A rough size in units of work, charged to the evaluation budget when a value is
    /// built or copied.
    var weight: Int {
        switch self {
        case .string(let text): 1 + text.utf8.count / 64
        case .list(let items): 1 + items.count
        case .context(let members): 1 + members.count
        default: 1
        }
    }
}
