/// One token of expression text, with its character offset for error messages.
struct ExpressionToken: Sendable {
    enum Kind: Sendable, Equatable, CustomStringConvertible {
        case number(Double)
        case string(String)
        case word(String)
        case symbol(String)
        case end

        var description: String {
            switch self {
            case .number(let value): return "number \(value)"
            case .string(let value): return "string \"\(value)\""
            case .word(let value): return "'\(value)'"
            case .symbol(let value): return "'\(value)'"
            case .end: return "end of expression"
            }
        }
    }

    let kind: Kind
    let offset: Int
}

/// Splits expression text into tokens. Works on Unicode scalars so offsets match what a
/// person counts in the BPMN file.
struct ExpressionLexer {
    static let reservedWords: Set<String> = [
        "and", "or", "not", "true", "false", "null", "eq", "ne", "lt", "le", "gt", "ge", "div", "mod",
    ]
    private static let twoCharacterSymbols: Set<String> = ["==", "!=", "<=", ">=", "&&", "||", "..", "**"]
    private static let oneCharacterSymbols: Set<Character> = [
        "=", "<", ">", "!", "+", "-", "*", "/", "%", "(", ")", ".", "[", "]", ",", ":", "?", "{", "}",
    ]

    private let scalars: [Unicode.Scalar]
    private let offset: Int
    private var position = 0

    init(text: String, offset: Int) {
        self.scalars = Array(text.unicodeScalars)
        self.offset = offset
    }

    mutating func tokenize() throws(ExpressionError) -> [ExpressionToken] {
        var tokens: [ExpressionToken] = []
        while true {
            while position < scalars.count, scalars[position].properties.isWhitespace { position += 1 }
            let start = position + offset
            guard position < scalars.count else {
                tokens.append(ExpressionToken(kind: .end, offset: start))
                return tokens
            }
            let scalar = scalars[position]
            if scalar.properties.numericType != nil, ("0"..."9").contains(scalar) {
                tokens.append(ExpressionToken(kind: .number(try number()), offset: start))
            } else if scalar == "\"" || scalar == "'" {
                tokens.append(ExpressionToken(kind: .string(try string(quote: scalar)), offset: start))
            } else if scalar.properties.isAlphabetic || scalar == "_" || scalar == "$" {
                tokens.append(ExpressionToken(kind: .word(word()), offset: start))
            } else if position + 1 < scalars.count,
                Self.twoCharacterSymbols.contains(String(scalar) + String(scalars[position + 1]))
            {
                tokens.append(
                    ExpressionToken(kind: .symbol(String(scalar) + String(scalars[position + 1])), offset: start))
                position += 2
            } else if Self.oneCharacterSymbols.contains(Character(scalar)) {
                tokens.append(ExpressionToken(kind: .symbol(String(scalar)), offset: start))
                position += 1
            } else {
                throw ExpressionError(message: "unexpected character '\(scalar)'", offset: start)
            }
        }
    }

    private mutating func number() throws(ExpressionError) -> Double {
        let start = position
        while position < scalars.count, ("0"..."9").contains(scalars[position]) || scalars[position] == "." {
            // A '.' followed by a non-digit ends the number (so `1.foo` is rejected later).
            if scalars[position] == ".",
                !(position + 1 < scalars.count && ("0"..."9").contains(scalars[position + 1]))
            {
                break
            }
            position += 1
        }
        let text = String(String.UnicodeScalarView(scalars[start..<position]))
        guard let value = Double(text), value.isFinite else {
            throw ExpressionError(message: "'\(text)' is not a number", offset: start + offset)
        }
        return value
    }

    private mutating func string(quote: Unicode.Scalar) throws(ExpressionError) -> String {
        let start = position
        position += 1
        var result = String.UnicodeScalarView()
        while position < scalars.count {
            let scalar = scalars[position]
            if scalar == quote {
                position += 1
                return String(result)
            }
            if scalar == "\\", position + 1 < scalars.count {
                position += 1
                switch scalars[position] {
                case "n": result.append("\n")
                case "t": result.append("\t")
                default: result.append(scalars[position])
                }
            } else {
                result.append(scalar)
            }
            position += 1
        }
        throw ExpressionError(message: "string is not closed", offset: start + offset)
    }

    private mutating func word() -> String {
        let start = position
        while position < scalars.count,
            scalars[position].properties.isAlphabetic || scalars[position] == "_" || scalars[position] == "$"
                || ("0"..."9").contains(scalars[position])
        {
            position += 1
        }
        return String(String.UnicodeScalarView(scalars[start..<position]))
    }
}
