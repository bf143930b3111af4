/// Recursive-descent parser for the expression subset. Precedence, loosest first:
/// `or`, `and`, `not`, comparison, `+ -`, `* / %`, unary minus, path access.
struct ExpressionParser {
    private var tokens: [ExpressionToken]
    private var index = 0
    private var depth = 0
    private let offset: Int
    /// FEEL counts list items from 1 (and from the end with negative indexes), JUEL from 0.
    private let dialect: ParsedExpression.Dialect

    static func parse(_ text: String, offset: Int, dialect: ParsedExpression.Dialect) throws(ExpressionError) -> Expression {
        var lexer = ExpressionLexer(text: text, offset: offset)
        var parser = ExpressionParser(tokens: try lexer.tokenize(), offset: offset, dialect: dialect)
        guard parser.tokens.count > 1 else {
            throw ExpressionError(message: "expression is empty", offset: offset)
        }
        let expression = try parser.parseOr()
        guard case .end = parser.current.kind else {
            throw parser.unexpected("end of expression")
        }
        return expression
    }

    private init(tokens: [ExpressionToken], offset: Int, dialect: ParsedExpression.Dialect) {
        self.dialect = dialect
        self.tokens = tokens
        self.offset = offset
    }

    private var current: ExpressionToken { tokens[index] }

    private mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    private func unexpected(_ expected: String) -> ExpressionError {
        ExpressionError(message: "expected \(expected), found \(current.kind)", offset: current.offset)
    }

    private mutating func enter() throws(ExpressionError) {
        depth += 1
        if depth > ParsedExpression.maximumDepth {
            throw ExpressionError(
                message: "expression nests deeper than \(ParsedExpression.maximumDepth) levels",
                offset: current.offset)
        }
    }

    private mutating func isKeyword(_ words: String...) -> Bool {
        if case .word(let word) = current.kind { return words.contains(word) }
        return false
    }

    private mutating func isSymbol(_ symbols: String...) -> Bool {
        if case .symbol(let symbol) = current.kind { return symbols.contains(symbol) }
        return false
    }

    private mutating func parseOr() throws(ExpressionError) -> Expression {
        try enter()
        defer { depth -= 1 }
        var left = try parseAnd()
        while isKeyword("or") || isSymbol("||") {
            advance()
            left = .binary(.or, left, try parseAnd())
        }
        return left
    }

    private mutating func parseAnd() throws(ExpressionError) -> Expression {
        var left = try parseNot()
        while isKeyword("and") || isSymbol("&&") {
            advance()
            left = .binary(.and, left, try parseNot())
        }
        return left
    }

    private mutating func parseNot() throws(ExpressionError) -> Expression {
        if isKeyword("not") || isSymbol("!") {
            advance()
            try enter()
            defer { depth -= 1 }
            return .unary(.not, try parseNot())
        }
        return try parseComparison()
    }

    private mutating func parseComparison() throws(ExpressionError) -> Expression {
        let left = try parseAdditive()
        let op: BinaryOperator?
        switch current.kind {
        case .symbol("="), .symbol("=="), .word("eq"): op = .equal
        case .symbol("!="), .word("ne"): op = .notEqual
        case .symbol("<"), .word("lt"): op = .less
        case .symbol("<="), .word("le"): op = .lessOrEqual
        case .symbol(">"), .word("gt"): op = .greater
        case .symbol(">="), .word("ge"): op = .greaterOrEqual
        default: op = nil
        }
        guard let op else { return left }
        advance()
        return .binary(op, left, try parseAdditive())
    }

    private mutating func parseAdditive() throws(ExpressionError) -> Expression {
        var left = try parseMultiplicative()
        while true {
            if isSymbol("+") {
                advance(); left = .binary(.add, left, try parseMultiplicative())
            } else if isSymbol("-") {
                advance(); left = .binary(.subtract, left, try parseMultiplicative())
            } else {
                return left
            }
        }
    }

    private mutating func parseMultiplicative() throws(ExpressionError) -> Expression {
        var left = try parseUnary()
        while true {
            if isSymbol("*") {
                advance(); left = .binary(.multiply, left, try parseUnary())
            } else if isSymbol("/") || isKeyword("div") {
                advance(); left = .binary(.divide, left, try parseUnary())
            } else if isSymbol("%") || isKeyword("mod") {
                advance(); left = .binary(.remainder, left, try parseUnary())
            } else {
                return left
            }
        }
    }

    private mutating func parseUnary() throws(ExpressionError) -> Expression {
        if isSymbol("-") {
            advance()
            try enter()
            defer { depth -= 1 }
            return .unary(.negate, try parseUnary())
        }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws(ExpressionError) -> Expression {
        let token = current
        switch token.kind {
        case .number(let value):
            advance()
            return .number(value)
        case .string(let value):
            advance()
            return .string(value)
        case .word("true"):
            advance(); return .bool(true)
        case .word("false"):
            advance(); return .bool(false)
        case .word("null"):
            advance(); return .null
        case .word(let name) where !ExpressionLexer.reservedWords.contains(name):
            advance()
            return .path(try parsePathTail(first: name))
        case .symbol("("):
            advance()
            let inner = try parseOr()
            guard isSymbol(")") else { throw unexpected("')'") }
            advance()
            return inner
        default:
            throw unexpected("a value, a variable name or '('")
        }
    }

    private mutating func parsePathTail(first: String) throws(ExpressionError) -> [PathSegment] {
        var segments: [PathSegment] = [.field(first)]
        while true {
            if isSymbol(".") {
                advance()
                guard case .word(let name) = current.kind else { throw unexpected("a field name after '.'") }
                segments.append(.field(name))
                advance()
            } else if isSymbol("[") {
                advance()
                let negative = dialect == .feel && isSymbol("-")
                if negative { advance() }
                switch current.kind {
                case .number(let value) where value >= 0 && value == value.rounded() && value < 1e9:
                    let index = Int(value)
                    switch dialect {
                    case .juel: segments.append(.index(index))
                    case .feel: segments.append(negative ? .fromEnd(index) : index == 0 ? .fromEnd(0) : .index(index - 1))
                    }
                case .string(let name) where !negative:
                    segments.append(.field(name))
                default:
                    throw unexpected(dialect == .feel ? "an index (1 is the first item, -1 the last) or a quoted field name inside '[ ]'" : "an index or a quoted field name inside '[ ]'")
                }
                advance()
                guard isSymbol("]") else { throw unexpected("']'") }
                advance()
            } else {
                return segments
            }
        }
    }
}
