/// A condition or script expression, parsed once at deploy time so that the engine never
/// parses text while advancing a token.
///
/// Two surface syntaxes map onto one tree: FEEL-style (`=order.total > 100`, Camunda 8) and
/// JUEL-style (`${order.total > 100}`, Camunda 7). FEEL as Camunda 8 users write it:
/// literals (lists, contexts), paths, filters, `if`, `for`, `some`/`every`, `between`, `in`,
/// `instance of`, and the standard built-in functions (`BuiltinFunction`); JUEL's operators,
/// `empty`, `?:` and the common methods (`Method`). Nothing executes code or touches I/O:
/// the functions are Baton's own, deterministic (no `random number()`), and evaluation is
/// bounded (`ExpressionEvaluator`).
public struct ParsedExpression: Sendable, Hashable, CustomStringConvertible {
    /// Which syntax the text was written in.
    public enum Dialect: String, Sendable, Hashable {
        case feel
        case juel
    }

    /// The text as written in the BPMN file, including its `=` or `${ }` marker.
    public let source: String
    public let dialect: Dialect
    public let root: Expression

    public init(source: String, dialect: Dialect, root: Expression) {
        self.source = source
        self.dialect = dialect
        self.root = root
    }

    public var description: String { source }

    /// Longest expression text accepted, in UTF-8 bytes.
    public static let maximumLength = 4096
    /// Deepest nesting of sub-expressions accepted.
    public static let maximumDepth = 64
    /// Units of work one evaluation may use (steps, plus the items and characters of the
    /// values it builds): loops and lists beyond it are an error, not a stalled engine.
    public static let maximumWork = 1_000_000

    /// Parses `=expr` (FEEL) or `${expr}` / `#{expr}` (JUEL).
    ///
    /// - Throws: `ExpressionError` naming the offset (in characters of `text`) at fault.
    public static func parse(_ text: String) throws(ExpressionError) -> ParsedExpression {
        let trimmed = text.trimmingWhitespace()
        guard trimmed.utf8.count <= maximumLength else {
            throw ExpressionError(
                message: "expression is \(trimmed.utf8.count) bytes long; the limit is \(maximumLength)",
                offset: 0)
        }
        if trimmed.hasPrefix("=") {
            let body = String(trimmed.dropFirst())
            return ParsedExpression(
                source: trimmed, dialect: .feel, root: try ExpressionParser.parse(body, offset: 1, dialect: .feel))
        }
        if (trimmed.hasPrefix("${") || trimmed.hasPrefix("#{")) && trimmed.hasSuffix("}") {
            let body = String(trimmed.dropFirst(2).dropLast())
            return ParsedExpression(
                source: trimmed, dialect: .juel, root: try ExpressionParser.parse(body, offset: 2, dialect: .juel))
        }
        throw ExpressionError(
            message: "'\(trimmed.prefix(40))' is not an expression: write FEEL as '=…' or JUEL as '${…}'",
            offset: 0)
    }

    /// True when `text` is written as an expression (`=…`, `${…}` or `#{…}`) rather than a
    /// constant.
    public static func looksLikeExpression(_ text: String) -> Bool {
        let trimmed = text.trimmingWhitespace()
        return trimmed.hasPrefix("=") || trimmed.hasPrefix("${") || trimmed.hasPrefix("#{")
    }
}

/// The expression tree. Paths read JSON variables by name; segments are field names or
/// array indexes.
public indirect enum Expression: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case path([PathSegment])
    case unary(UnaryOperator, Expression)
    case binary(BinaryOperator, Expression, Expression)
    /// `[a, b, c]`
    case list([Expression])
    /// `{name: value, "other key": value}`, in the order written.
    case context([ContextEntry])
    /// A built-in function (FEEL's standard library), arguments in order.
    case call(BuiltinFunction, [Expression])
    /// Fields and indexes of a computed value: `{a: 1}.a`, `f(x)[1]`.
    case access(Expression, [PathSegment])
    /// FEEL's `list[condition]`: the items for which the condition holds (`item` names the
    /// item, and a context item's fields are names too); a number instead picks one item.
    case filter(Expression, Expression)
    /// FEEL's `if c then a else b`, JUEL's `c ? a : b`.
    case conditional(Expression, Expression, Expression)
    /// `for x in l return e`, `some x in l satisfies c`, `every x in l satisfies c`.
    case iteration(Iteration, [IterationContext], Expression)
    /// `x between low and high` (both ends included).
    case between(Expression, Expression, Expression)
    /// `x in (tests)`: true when any test holds.
    case membership(Expression, [UnaryTest])
    /// `x instance of type`
    case instanceOf(Expression, ValueTypeName)
    /// JUEL's methods on strings, lists and maps: `s.length()`, `l.contains(x)`.
    case method(Expression, Method, [Expression])
    /// JUEL's `empty x`: null, "", an empty list or map.
    case empty(Expression)
    /// JUEL's `list[i]` or `map[key]` with a computed index (0-based) or key.
    case subscripted(Expression, Expression)
}

public struct ContextEntry: Sendable, Hashable {
    public let key: String
    public let value: Expression

    public init(key: String, value: Expression) {
        self.key = key
        self.value = value
    }
}

public enum Iteration: String, Sendable, Hashable {
    case forEach = "for", some, every
}

/// `name in list`, or `name in from..to` (integers, counting up or down).
public struct IterationContext: Sendable, Hashable {
    public let name: String
    public let domain: Expression
    public let upTo: Expression?

    public init(name: String, domain: Expression, upTo: Expression? = nil) {
        self.name = name
        self.domain = domain
        self.upTo = upTo
    }
}

/// One test of `x in (...)`.
public enum UnaryTest: Sendable, Hashable {
    /// Holds when x equals the value, or when the value is a list that contains x.
    case equal(Expression)
    /// `< 10`, `>= low`
    case compare(BinaryOperator, Expression)
    /// `[1..10]`, `(1..10)`, `]1..10[`: open or closed at each end.
    case interval(Expression, Expression, lowIncluded: Bool, highIncluded: Bool)
}

/// The types `instance of` tests.
public enum ValueTypeName: String, Sendable, Hashable, CaseIterable {
    case number, string, boolean, list, context, date
    case dateTime = "date and time"
    case time
    case daysAndTimeDuration = "days and time duration"
    case yearsAndMonthsDuration = "years and months duration"
    case any = "Any"
    case null = "Null"
}

/// JUEL methods Camunda 7 models call on values (and `execution.getVariable(name)`).
public enum Method: String, Sendable, Hashable, CaseIterable {
    case size, length, contains, containsKey, equals, equalsIgnoreCase, isEmpty, startsWith, endsWith
    case toUpperCase, toLowerCase, trim, get, getVariable, indexOf, substring

    /// How many arguments the method takes.
    public var arity: ClosedRange<Int> {
        switch self {
        case .size, .length, .isEmpty, .toUpperCase, .toLowerCase, .trim: 0...0
        case .contains, .containsKey, .equals, .equalsIgnoreCase, .startsWith, .endsWith, .get, .getVariable, .indexOf: 1...1
        case .substring: 1...2
        }
    }
}

public enum PathSegment: Sendable, Hashable {
    case field(String)
    /// 0-based from the start (JUEL's `[0]`, FEEL's `[1]`).
    case index(Int)
    /// 1-based from the end (FEEL's `[-1]` is the last item); 0 finds nothing (FEEL's `[0]`).
    case fromEnd(Int)
}

public enum UnaryOperator: String, Sendable, Hashable {
    case not
    case negate = "-"
}

public enum BinaryOperator: String, Sendable, Hashable {
    case or, and
    case equal = "=", notEqual = "!="
    case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%", power = "**"
}

/// Why an expression could not be parsed (or, in the engine, evaluated).
public struct ExpressionError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    /// Character offset into the expression text as written.
    public let offset: Int

    public init(message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String { "\(message) (at character \(offset))" }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
