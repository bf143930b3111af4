/// A condition or script expression, parsed once at deploy time so that the engine never
/// parses text while advancing a token.
///
/// Two surface syntaxes map onto one tree: FEEL-style (`=order.total > 100`, Camunda 8) and
/// JUEL-style (`${order.total > 100}`, Camunda 7). Only a safe subset is accepted:
/// literals, paths into JSON variables, comparison, `and`/`or`/`not`, arithmetic, string
/// concatenation with `+`, and `null`. There are no function calls and no code execution.
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
    case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%"
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
