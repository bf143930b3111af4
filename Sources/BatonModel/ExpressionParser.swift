/// Recursive-descent parser for both dialects. Precedence, loosest first: JUEL's `?:`,
/// `or`, `and`, `not`, comparison (with FEEL's `between`, `in`, `instance of`), `+ -`,
/// `* / %`, `**`, unary minus (and JUEL's `empty`), then paths, filters, methods. FEEL's
/// `if`, `for`, `some` and `every` start where a value may start and reach as far right as
/// they can (ExpressionParser+FEEL.swift).
struct ExpressionParser {
    var tokens: [ExpressionToken]
    var index = 0
    var depth = 0
    let offset: Int
    /// FEEL counts list items from 1 (and from the end with negative indexes), JUEL from 0.
    let dialect: ParsedExpression.Dialect
    /// While reading an interval's bounds, `[` closes the interval (`]1..4[`) rather than
    /// indexing the bound.
    var readingIntervalBound = false

    static func parse(_ text: String, offset: Int, dialect: ParsedExpression.Dialect) throws(ExpressionError) -> Expression {
        var lexer = ExpressionLexer(text: text, offset: offset)
        var parser = ExpressionParser(tokens: try lexer.tokenize(), offset: offset, dialect: dialect)
        guard parser.tokens.count > 1 else {
            throw ExpressionError(message: "expression is empty", offset: offset)
        }
        let expression = try parser.parseExpression()
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

    var current: ExpressionToken { tokens[index] }

    /// The token `ahead` places after the current one (the end token past the end).
    func peek(_ ahead: Int) -> ExpressionToken.Kind { tokens[min(index + ahead, tokens.count - 1)].kind }

    mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    func unexpected(_ expected: String) -> ExpressionError {
        ExpressionError(message: "expected \(expected), found \(current.kind)", offset: current.offset)
    }

    mutating func expectSymbol(_ symbol: String) throws(ExpressionError) {
        guard isSymbol(symbol) else { throw unexpected("'\(symbol)'") }
        advance()
    }

    mutating func expectKeyword(_ word: String) throws(ExpressionError) {
        guard isKeyword(word) else { throw unexpected("'\(word)'") }
        advance()
    }

    /// The whole expression: JUEL's `c ? a : b` around `or`.
    mutating func parseExpression() throws(ExpressionError) -> Expression {
        try enter()
        defer { depth -= 1 }
        let condition = try parseOr()
        guard dialect == .juel, isSymbol("?") else { return condition }
        advance()
        let then = try parseExpression()
        try expectSymbol(":")
        return .conditional(condition, then, try parseExpression())
    }

    mutating func enter() throws(ExpressionError) {
        depth += 1
        if depth > ParsedExpression.maximumDepth {
            throw ExpressionError(
                message: "expression nests deeper than \(ParsedExpression.maximumDepth) levels",
                offset: current.offset)
        }
    }

    func isKeyword(_ words: String...) -> Bool {
        if case .word(let word) = current.kind { return words.contains(word) }
        return false
    }

    func isSymbol(_ symbols: String...) -> Bool {
        if case .symbol(let symbol) = current.kind { return symbols.contains(symbol) }
        return false
    }

    mutating func parseOr() throws(ExpressionError) -> Expression {
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
        if dialect == .feel, let special = try parseFEELComparison(left) { return special }
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

    mutating func parseAdditive() throws(ExpressionError) -> Expression {
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
        var left = try parsePower()
        while true {
            if isSymbol("*") {
                advance(); left = .binary(.multiply, left, try parsePower())
            } else if isSymbol("/") || isKeyword("div") {
                advance(); left = .binary(.divide, left, try parsePower())
            } else if isSymbol("%") || isKeyword("mod") {
                advance(); left = .binary(.remainder, left, try parsePower())
            } else {
                return left
            }
        }
    }

    private mutating func parsePower() throws(ExpressionError) -> Expression {
        var left = try parseUnary()
        while dialect == .feel, isSymbol("**") {
            advance(); left = .binary(.power, left, try parseUnary())
        }
        return left
    }

    private mutating func parseUnary() throws(ExpressionError) -> Expression {
        if isSymbol("-") || (dialect == .juel && isKeyword("empty")) {
            let negate = isSymbol("-")
            advance()
            try enter()
            defer { depth -= 1 }
            let operand = try parseUnary()
            return negate ? .unary(.negate, operand) : .empty(operand)
        }
        return try parsePostfix(try parsePrimary())
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
        case .word where dialect == .feel:
            if let construct = try parseFEELConstruct() { return construct }
            if let call = try parseCall() { return call }
            return try parseVariable()
        case .word:
            return try parseVariable()
        case .symbol("(") where !(dialect == .feel && isIntervalAhead()):
            advance()
            let inner = try parseExpression()
            try expectSymbol(")")
            return inner
        case .symbol("[") where dialect == .feel:
            return try parseList()
        case .symbol("{") where dialect == .feel:
            return try parseContext()
        default:
            throw unexpected("a value, a variable name or '('")
        }
    }

    private mutating func parseVariable() throws(ExpressionError) -> Expression {
        guard case .word(let name) = current.kind, !isReserved(name) else {
            throw unexpected("a value, a variable name or '('")
        }
        advance()
        return .path([.field(name)])
    }

    /// Words that cannot name a variable in the dialect.
    func isReserved(_ word: String) -> Bool {
        if ExpressionLexer.reservedWords.contains(word) { return true }
        switch dialect {
        case .feel: return Self.feelKeywords.contains(word)
        case .juel: return word == "empty"
        }
    }

    static let feelKeywords: Set<String> = [
        "if", "then", "else", "for", "in", "return", "some", "every", "satisfies", "between", "instance", "of", "function",
    ]

    /// Field access and indexes after a value: `.name`, `[1]`, `["key"]`, FEEL's
    /// `[condition]` filters, JUEL's `[expression]` and `.method(arguments)`.
    private mutating func parsePostfix(_ base: Expression) throws(ExpressionError) -> Expression {
        var result = base
        while true {
            if isSymbol(".") {
                advance()
                guard case .word(let name) = current.kind else { throw unexpected("a field name after '.'") }
                let start = current.offset
                advance()
                if dialect == .juel, isSymbol("(") {
                    guard let method = Method(rawValue: name) else {
                        throw ExpressionError(
                            message: "method '\(name)' is not supported (Baton knows \(Method.allCases.map(\.rawValue).joined(separator: ", ")))",
                            offset: start)
                    }
                    let arguments = try parseArguments(named: name, arity: method.arity, at: start)
                    result = .method(result, method, arguments)
                } else {
                    result = appending(.field(name), to: result)
                }
            } else if isSymbol("["), !readingIntervalBound {
                advance()
                if let segment = try literalSegment() {
                    result = appending(segment, to: result)
                } else {
                    let inner = try parseExpression()
                    result = dialect == .feel ? .filter(result, inner) : .subscripted(result, inner)
                }
                try expectSymbol("]")
            } else {
                return result
            }
        }
    }

    private func appending(_ segment: PathSegment, to base: Expression) -> Expression {
        switch base {
        case .path(let segments): .path(segments + [segment])
        case .access(let inner, let segments): .access(inner, segments + [segment])
        default: .access(base, [segment])
        }
    }

    /// A literal index or quoted field name inside `[ ]` (consumed), or nil for anything
    /// else (left for a filter or computed index).
    private mutating func literalSegment() throws(ExpressionError) -> PathSegment? {
        let negative = dialect == .feel && isSymbol("-")
        let next = negative ? peek(1) : current.kind
        guard case .symbol("]") = negative ? peek(2) : peek(1) else { return nil }
        switch next {
        case .number(let value) where value >= 0 && value == value.rounded() && value < 1e9:
            if negative { advance() }
            advance()
            let index = Int(value)
            switch dialect {
            case .juel: return .index(index)
            case .feel: return negative ? .fromEnd(index) : index == 0 ? .fromEnd(0) : .index(index - 1)
            }
        case .string(let name) where !negative:
            advance()
            return .field(name)
        default:
            return nil
        }
    }

    /// `(a, b, c)` after a function or method name, checked against its arity.
    mutating func parseArguments(named name: String, arity: ClosedRange<Int>, at start: Int) throws(ExpressionError) -> [Expression] {
        try expectSymbol("(")
        var arguments: [Expression] = []
        if !isSymbol(")") {
            while true {
                if case .word(let parameter) = current.kind, case .symbol(":") = peek(1) {
                    throw ExpressionError(
                        message: "named arguments ('\(parameter): …') are not supported: pass the arguments of \(name)() in order",
                        offset: current.offset)
                }
                arguments.append(try parseExpression())
                guard isSymbol(",") else { break }
                advance()
            }
        }
        try expectSymbol(")")
        guard arity.contains(arguments.count) else {
            let expected = arity.upperBound == Int.max
                ? "at least \(arity.lowerBound)"
                : arity.lowerBound == arity.upperBound ? "\(arity.lowerBound)" : "\(arity.lowerBound) to \(arity.upperBound)"
            throw ExpressionError(message: "\(name)() takes \(expected) argument(s), not \(arguments.count)", offset: start)
        }
        return arguments
    }
}
