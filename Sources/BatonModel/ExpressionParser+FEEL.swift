/// FEEL's constructs beyond operators and paths: `if`, `for`, `some`/`every`, `between`,
/// `in` with unary tests and intervals, `instance of`, function calls (names of several
/// words), list and context literals.
extension ExpressionParser {
    /// `if … then … else …`, `for … return …`, `some|every … satisfies …` where a value may
    /// start; nil when the current word starts none of them.
    mutating func parseFEELConstruct() throws(ExpressionError) -> Expression? {
        guard case .word(let word) = current.kind else { return nil }
        switch word {
        case "if":
            advance()
            try enter()
            defer { depth -= 1 }
            let condition = try parseExpression()
            try expectKeyword("then")
            let then = try parseExpression()
            try expectKeyword("else")
            return .conditional(condition, then, try parseExpression())
        case "for", "some", "every":
            advance()
            try enter()
            defer { depth -= 1 }
            let kind: Iteration = word == "for" ? .forEach : word == "some" ? .some : .every
            var contexts: [IterationContext] = []
            repeat {
                if !contexts.isEmpty { advance() }  // the ','
                guard case .word(let name) = current.kind, !isReserved(name) else { throw unexpected("a name to iterate with") }
                advance()
                try expectKeyword("in")
                let domain = try parseOr()
                if isSymbol("..") {
                    advance()
                    contexts.append(IterationContext(name: name, domain: domain, upTo: try parseOr()))
                } else {
                    contexts.append(IterationContext(name: name, domain: domain))
                }
            } while isSymbol(",")
            try expectKeyword(kind == .forEach ? "return" : "satisfies")
            return .iteration(kind, contexts, try parseExpression())
        default:
            return nil
        }
    }

    /// A built-in function call: the longest run of words that names a function and is
    /// followed by `(`. Nil (nothing consumed) when the words are not a call.
    mutating func parseCall() throws(ExpressionError) -> Expression? {
        var words: [String] = []
        while words.count < BuiltinFunction.longestNameInWords, case .word(let word) = peek(words.count) {
            words.append(word)
        }
        for count in stride(from: words.count, through: 1, by: -1) {
            guard case .symbol("(") = peek(count) else { continue }
            let name = words[0..<count].joined(separator: " ")
            let start = current.offset
            guard let function = BuiltinFunction.named(name) else {
                if name == "random number" || name == "uuid" {
                    throw ExpressionError(message: "\(name)() is not supported: an instance replayed from its log must compute what it computed live", offset: start)
                }
                guard count == 1, !isReserved(name) else { continue }
                throw ExpressionError(message: "unknown function '\(name)' (Baton evaluates FEEL's built-in functions; 'baton validate --help' lists them)", offset: start)
            }
            for _ in 0..<count { advance() }
            return .call(function, try parseArguments(named: name, arity: function.arity, at: start))
        }
        return nil
    }

    /// `[a, b, c]`
    mutating func parseList() throws(ExpressionError) -> Expression {
        try expectSymbol("[")
        try enter()
        defer { depth -= 1 }
        var items: [Expression] = []
        if !isSymbol("]") {
            repeat {
                if !items.isEmpty { advance() }
                items.append(try parseExpression())
            } while isSymbol(",")
        }
        try expectSymbol("]")
        return .list(items)
    }

    /// `{key: value, "quoted key": value}`
    mutating func parseContext() throws(ExpressionError) -> Expression {
        try expectSymbol("{")
        try enter()
        defer { depth -= 1 }
        var entries: [ContextEntry] = []
        if !isSymbol("}") {
            repeat {
                if !entries.isEmpty { advance() }
                let key: String
                switch current.kind {
                case .word(let name): key = name
                case .string(let name): key = name
                default: throw unexpected("a key (a name or a quoted string)")
                }
                guard !entries.contains(where: { $0.key == key }) else {
                    throw ExpressionError(message: "the context has the key '\(key)' twice", offset: current.offset)
                }
                advance()
                try expectSymbol(":")
                entries.append(ContextEntry(key: key, value: try parseExpression()))
            } while isSymbol(",")
        }
        try expectSymbol("}")
        return .context(entries)
    }

    /// `between`, `in` and `instance of` after the left operand; nil when none follows.
    mutating func parseFEELComparison(_ left: Expression) throws(ExpressionError) -> Expression? {
        if isKeyword("between") {
            advance()
            let low = try parseAdditive()
            try expectKeyword("and")
            return .between(left, low, try parseAdditive())
        }
        if isKeyword("in") {
            advance()
            if isSymbol("("), !isIntervalAhead() {
                advance()
                var tests: [UnaryTest] = []
                repeat {
                    if !tests.isEmpty { advance() }
                    tests.append(try parseUnaryTest())
                } while isSymbol(",")
                try expectSymbol(")")
                return .membership(left, tests)
            }
            return .membership(left, [try parseUnaryTest()])
        }
        if isKeyword("instance"), case .word("of") = peek(1) {
            advance(); advance()
            var words: [String] = []
            while words.count < 4, case .word(let word) = peek(words.count) { words.append(word) }
            for count in stride(from: words.count, through: 1, by: -1) {
                if let type = ValueTypeName(rawValue: words[0..<count].joined(separator: " ")) {
                    for _ in 0..<count { advance() }
                    return .instanceOf(left, type)
                }
            }
            throw unexpected("a type (\(ValueTypeName.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return nil
    }

    /// One test of `in`: `< e` (and `<=`, `>`, `>=`, `=`, `!=`), an interval, or a value
    /// (equal to it, or contained in it when it is a list).
    private mutating func parseUnaryTest() throws(ExpressionError) -> UnaryTest {
        let comparisons: [String: BinaryOperator] = ["<": .less, "<=": .lessOrEqual, ">": .greater, ">=": .greaterOrEqual, "=": .equal, "!=": .notEqual]
        if case .symbol(let symbol) = current.kind, let op = comparisons[symbol] {
            advance()
            return .compare(op, try parseAdditive())
        }
        if isIntervalAhead() {
            let lowIncluded = isSymbol("[")
            advance()
            readingIntervalBound = true
            defer { readingIntervalBound = false }
            let low = try parseAdditive()
            try expectSymbol("..")
            let high = try parseAdditive()
            guard isSymbol("]", ")", "[") else { throw unexpected("']', ')' or '[' closing the interval") }
            let highIncluded = isSymbol("]")
            advance()
            return .interval(low, high, lowIncluded: lowIncluded, highIncluded: highIncluded)
        }
        return .equal(try parseAdditive())
    }

    /// Whether the tokens ahead open an interval: `[`, `(` or `]`, a value, then `..`
    /// (looking only a few tokens ahead: bounds are short).
    func isIntervalAhead() -> Bool {
        guard isSymbol("[", "(", "]") else { return false }
        var ahead = 1
        var nesting = 0
        while ahead < 24 {
            switch peek(ahead) {
            case .end: return false
            case .symbol("..") where nesting == 0: return true
            case .symbol("("), .symbol("["), .symbol("{"): nesting += 1
            case .symbol(")"), .symbol("]"), .symbol("}"):
                if nesting == 0 { return false }
                nesting -= 1
            case .symbol(","): if nesting == 0 { return false }
            default: break
            }
            ahead += 1
        }
        return false
    }
}
