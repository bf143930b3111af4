/// FEEL's built-in functions that Baton evaluates (the DMN 1.3 standard library as Camunda 8
/// documents it, plus Camunda's common extensions). Names are resolved when a model is
/// deployed, so a misspelt or unsupported function is a deployment error, not an incident.
///
/// Left out on purpose: `random number()` and `uuid()` (a replay must compute what the live
/// engine computed), user-defined functions (`function(x) ...`) and so `sort`, which needs
/// one; regular expressions (`matches`, `replace`, `split`) are taken literally only.
public enum BuiltinFunction: String, Sendable, Hashable, CaseIterable {
    // Conversion
    case string, number, date
    case dateAndTime = "date and time"
    case time, duration
    case yearsAndMonthsDuration = "years and months duration"
    // Boolean and null
    case not
    case isDefined = "is defined"
    case getOrElse = "get or else"
    // Strings
    case substring
    case stringLength = "string length"
    case upperCase = "upper case"
    case lowerCase = "lower case"
    case substringBefore = "substring before"
    case substringAfter = "substring after"
    case contains
    case startsWith = "starts with"
    case endsWith = "ends with"
    case matches, replace, split, trim
    case stringJoin = "string join"
    case isBlank = "is blank"
    // Lists
    case listContains = "list contains"
    case count, min, max, sum, mean, median, product
    case all, any
    case and, or
    case sublist, append, concatenate
    case insertBefore = "insert before"
    case remove, reverse
    case indexOf = "index of"
    case union
    case distinctValues = "distinct values"
    case flatten
    case isEmpty = "is empty"
    // Numbers
    case decimal, floor, ceiling, abs, modulo, sqrt, log, exp, odd, even
    case roundUp = "round up"
    case roundDown = "round down"
    case roundHalfUp = "round half up"
    case roundHalfDown = "round half down"
    // Contexts
    case getValue = "get value"
    case getEntries = "get entries"
    case put
    case putAll = "put all"
    case contextPut = "context put"
    case contextMerge = "context merge"
    // Time (now() and today() are the step's time: a replay sees the same)
    case now, today
    case dayOfWeek = "day of week"
    case dayOfYear = "day of year"
    case monthOfYear = "month of year"
    case weekOfYear = "week of year"
    case lastDayOfMonth = "last day of month"

    /// How many arguments the function takes (`Int.max`: any number, at least the lower
    /// bound).
    public var arity: ClosedRange<Int> {
        switch self {
        case .now, .today: 0...0
        case .string, .number, .duration, .not, .isDefined, .stringLength, .upperCase, .lowerCase, .trim, .isBlank,
             .count, .all, .any, .and, .or, .reverse, .distinctValues, .flatten, .isEmpty, .floor, .ceiling, .abs,
             .sqrt, .log, .exp, .odd, .even, .getEntries, .dayOfWeek, .dayOfYear, .monthOfYear, .weekOfYear,
             .lastDayOfMonth, .median:
            1...1
        case .getOrElse, .substringBefore, .substringAfter, .contains, .startsWith, .endsWith, .listContains,
             .indexOf, .remove, .decimal, .modulo, .getValue, .yearsAndMonthsDuration, .split, .roundUp, .roundDown,
             .roundHalfUp, .roundHalfDown:
            2...2
        case .dateAndTime: 1...2
        case .contextMerge: 1...1
        case .date: 1...3
        case .time: 1...4
        case .substring, .sublist: 2...3
        case .matches: 2...3
        case .replace: 3...4
        case .insertBefore, .put, .contextPut: 3...3
        case .stringJoin: 1...4
        case .min, .max, .sum, .mean, .product, .putAll, .concatenate, .union: 1...Int.max
        case .append: 2...Int.max
        }
    }

    /// The longest name in words (`years and months duration`), for the parser's look-ahead.
    public static let longestNameInWords = allCases.map { $0.rawValue.split(separator: " ").count }.max() ?? 1

    /// The names written with several words, and the single-word ones.
    static let byName: [String: BuiltinFunction] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })

    /// The function named `name` (words separated by single spaces).
    public static func named(_ name: String) -> BuiltinFunction? { byName[name] }
}
