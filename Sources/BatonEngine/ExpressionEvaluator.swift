import BatonModel

/// Evaluates a parsed expression against an instance's variables.
///
/// Null handling follows FEEL: a path to a missing variable or field is null; arithmetic
/// and ordering comparisons with null give null; `and`/`or` are three-valued; most
/// functions give null for a null argument. A condition that evaluates to null counts as
/// false; any other non-boolean is an error.
///
/// Evaluation is bounded: every step and every value built is charged to a budget
/// (`ParsedExpression.maximumWork`), so `for i in 1..1000000000 return i` is an error (an incident), not a
/// stalled partition.
struct ExpressionEvaluator {
    let variables: [String: JSONValue]
    /// Read when no variable of that name exists: `taskResults`.
    let taskResults: [TaskResult]
    /// The step's time (ms since the epoch): `now()` and `today()`, the same in a replay.
    let now: Int64

    init(variables: [String: JSONValue], taskResults: [TaskResult], now: Int64) {
        self.variables = variables
        self.taskResults = taskResults
        self.now = now
    }

    func condition(_ expression: ParsedExpression) throws(ExpressionError) -> Bool {
        switch try evaluate(expression.root) {
        case .bool(let value): return value
        case .null: return false
        case let other:
            throw ExpressionError(message: "condition '\(expression.source)' gave \(other.jsonText), not true or false", offset: 0)
        }
    }

    func evaluate(_ expression: Expression) throws(ExpressionError) -> JSONValue {
        var run = Evaluation(evaluator: self)
        return try run.value(expression).json
    }

    /// One evaluation: its local names (iteration variables, filter items) and its budget.
    struct Evaluation {
        let evaluator: ExpressionEvaluator
        /// Innermost last.
        var scopes: [[String: ExpressionValue]] = []
        var work = 0

        init(evaluator: ExpressionEvaluator) {
            self.evaluator = evaluator
        }

        mutating func charge(_ units: Int) throws(ExpressionError) {
            work += units
            guard work <= ParsedExpression.maximumWork else {
                throw ExpressionError(message: "the expression does more than \(ParsedExpression.maximumWork) units of work (loops or lists too large)", offset: 0)
            }
        }

        mutating func value(_ expression: Expression) throws(ExpressionError) -> ExpressionValue {
            try charge(1)
            switch expression {
            case .null: return .null
            case .bool(let value): return .bool(value)
            case .number(let value): return .number(value)
            case .string(let value): return .string(value)
            case .path(let segments):
                guard case .field(let name) = segments[0] else { return .null }
                return try variable(name, segments.dropFirst())
            case .access(let base, let segments):
                return try access(try value(base), segments[...])
            case .unary(.not, let operand):
                switch try value(operand) {
                case .bool(let value): return .bool(!value)
                case .null: return .null
                case let other: throw mismatch("not", other)
                }
            case .unary(.negate, let operand):
                switch try value(operand) {
                case .number(let value): return .number(-value)
                case .duration(let value): return .duration(-value)
                case .yearsMonths(let value): return .yearsMonths(-value)
                case .null: return .null
                case let other: throw mismatch("-", other)
                }
            case .binary(.and, let left, let right):
                let lhs = try boolOrNull(try value(left), "and")
                if lhs == false { return .bool(false) }
                let rhs = try boolOrNull(try value(right), "and")
                if rhs == false { return .bool(false) }
                return lhs == true && rhs == true ? .bool(true) : .null
            case .binary(.or, let left, let right):
                let lhs = try boolOrNull(try value(left), "or")
                if lhs == true { return .bool(true) }
                let rhs = try boolOrNull(try value(right), "or")
                if rhs == true { return .bool(true) }
                return lhs == false && rhs == false ? .bool(false) : .null
            case .binary(let op, let left, let right):
                return try Operators.apply(op, try value(left), try value(right))
            case .list(let items):
                var values: [ExpressionValue] = []
                values.reserveCapacity(items.count)
                for item in items { values.append(try value(item)) }
                return .list(values)
            case .context(let entries):
                var members: [String: ExpressionValue] = [:]
                for entry in entries { members[entry.key] = try value(entry.value) }
                return .context(members)
            case .call(let function, let arguments):
                if function == .isDefined { return .bool(try isDefined(arguments[0])) }
                var values: [ExpressionValue] = []
                for argument in arguments { values.append(try value(argument)) }
                let result = try BuiltinFunctions.call(function, values, now: evaluator.now)
                try charge(result.weight)
                return result
            case .filter(let base, let condition):
                return try filter(try value(base), condition)
            case .subscripted(let base, let key):
                let container = try value(base)
                switch (container, try value(key)) {
                case (.list(let items), .number(let index)):
                    let position = Int(exactly: index.rounded(.down)) ?? -1
                    return position >= 0 && position < items.count ? items[position] : .null
                case (.context(let members), .string(let name)):
                    return members[name] ?? .null
                default:
                    return .null
                }
            case .conditional(let test, let then, let otherwise):
                switch try value(test) {
                case .bool(true): return try value(then)
                case .bool(false), .null: return try value(otherwise)
                case let other:
                    throw ExpressionError(message: "the condition of if/?: gave \(other.shown), not true or false", offset: 0)
                }
            case .iteration(let kind, let contexts, let body):
                return try iterate(kind, contexts[...], body, [:])
            case .between(let subject, let low, let high):
                let x = try value(subject)
                let lower = try Operators.apply(.greaterOrEqual, x, try value(low))
                let upper = try Operators.apply(.lessOrEqual, x, try value(high))
                guard case .bool(let above) = lower, case .bool(let below) = upper else { return .null }
                return .bool(above && below)
            case .membership(let subject, let tests):
                let x = try value(subject)
                for test in tests where try holds(test, for: x) { return .bool(true) }
                return .bool(false)
            case .instanceOf(let subject, let type):
                let x = try value(subject)
                return .bool(type == .any ? x != .null : x.typeName == type)
            case .method(let base, let method, let arguments):
                if method == .getVariable, case .path([.field("execution")]) = base {
                    guard case .string(let name) = try value(arguments[0]) else {
                        throw ExpressionError(message: "execution.getVariable() needs a variable name (a string)", offset: 0)
                    }
                    return lookup(name) ?? .null
                }
                var values: [ExpressionValue] = []
                for argument in arguments { values.append(try value(argument)) }
                return try Methods.call(method, on: try value(base), values)
            case .empty(let operand):
                switch try value(operand) {
                case .null: return .bool(true)
                case .string(let text): return .bool(text.isEmpty)
                case .list(let items): return .bool(items.isEmpty)
                case .context(let members): return .bool(members.isEmpty)
                default: return .bool(false)
                }
            }
        }

        /// A name: the innermost local first, then the instance's variables, then
        /// `taskResults`.
        func lookup(_ name: String) -> ExpressionValue? {
            for scope in scopes.reversed() {
                if let value = scope[name] { return value }
            }
            if let value = evaluator.variables[name] { return ExpressionValue(value) }
            if name == "taskResults" { return .list(evaluator.taskResults.map { ExpressionValue($0.json) }) }
            return nil
        }

        /// A name followed by fields and indexes. A variable's JSON is walked as far as the
        /// path goes before anything is converted, so `order.total` costs the same however
        /// large `order` is.
        mutating func variable(_ name: String, _ segments: ArraySlice<PathSegment>) throws(ExpressionError) -> ExpressionValue {
            guard !scopes.contains(where: { $0[name] != nil }), var json = evaluator.variables[name] else {
                return try access(lookup(name) ?? .null, segments)
            }
            var rest = segments
            walk: while let segment = rest.first {
                switch (segment, json) {
                case (.field(let field), .object(let members)): json = members[field] ?? .null
                case (.index(let index), .array(let items)): json = index < items.count ? items[index] : .null
                case (.fromEnd(let count), .array(let items)): json = count >= 1 && count <= items.count ? items[items.count - count] : .null
                default: break walk
                }
                rest = rest.dropFirst()
            }
            return try access(ExpressionValue(json), rest)
        }

        /// `is defined(x)`: the variable (and each field on the way) exists, even if null.
        mutating func isDefined(_ argument: Expression) throws(ExpressionError) -> Bool {
            guard case .path(let segments) = argument, case .field(let name) = segments[0] else {
                return try value(argument) != .null
            }
            guard var current = lookup(name) else { return false }
            for segment in segments.dropFirst() {
                switch (segment, current) {
                case (.field(let field), .context(let members)):
                    guard let next = members[field] else { return false }
                    current = next
                default:
                    current = try access(current, [segment][...])
                    if current == .null { return false }
                }
            }
            return true
        }

        /// Fields and indexes: a field of a list is the list of that field of each item
        /// (FEEL's path on lists); a field of a temporal value is one of its properties.
        mutating func access(_ start: ExpressionValue, _ segments: ArraySlice<PathSegment>) throws(ExpressionError) -> ExpressionValue {
            var current = start
            for segment in segments {
                switch (segment, current) {
                case (.field(let field), .context(let members)): current = members[field] ?? .null
                case (.field(let field), .list(let items)):
                    try charge(items.count)
                    current = .list(items.map { item in
                        if case .context(let members) = item { return members[field] ?? .null }
                        return .null
                    })
                case (.field(let field), .date), (.field(let field), .dateTime), (.field(let field), .time),
                     (.field(let field), .duration), (.field(let field), .yearsMonths):
                    current = FEELTime.property(field, of: current)
                case (.index(let index), .list(let items)): current = index < items.count ? items[index] : .null
                case (.fromEnd(let count), .list(let items)):
                    current = count >= 1 && count <= items.count ? items[items.count - count] : .null
                default: return .null
                }
            }
            return current
        }

        /// `list[condition]`: the items for which the condition is true, with `item` (and a
        /// context item's fields) in scope; a condition that gives a number picks the item
        /// at that 1-based index (negative from the end) instead.
        mutating func filter(_ base: ExpressionValue, _ condition: Expression) throws(ExpressionError) -> ExpressionValue {
            let items: [ExpressionValue]
            switch base {
            case .list(let list): items = list
            case .null: return .null
            default: items = [base]
            }
            var kept: [ExpressionValue] = []
            for (position, item) in items.enumerated() {
                var scope: [String: ExpressionValue] = ["item": item]
                if case .context(let members) = item { scope.merge(members) { given, _ in given } }
                scopes.append(scope)
                let result = try value(condition)
                scopes.removeLast()
                switch result {
                case .bool(true): kept.append(item)
                case .bool(false), .null: break
                case .number(let number) where position == 0:
                    let index = Int(exactly: number.rounded(.down)) ?? 0
                    if index >= 1, index <= items.count { return items[index - 1] }
                    if index <= -1, -index <= items.count { return items[items.count + index] }
                    return .null
                default:
                    throw ExpressionError(message: "a filter must give true or false for each item; it gave \(result.shown)", offset: 0)
                }
            }
            return .list(kept)
        }

        /// `for`/`some`/`every` over the cross product of the iteration contexts.
        mutating func iterate(
            _ kind: Iteration, _ contexts: ArraySlice<IterationContext>, _ body: Expression, _ bound: [String: ExpressionValue]
        ) throws(ExpressionError) -> ExpressionValue {
            guard let context = contexts.first else {
                scopes.append(bound)
                defer { scopes.removeLast() }
                return try value(body)
            }
            scopes.append(bound)
            let domain = try self.domain(of: context)
            scopes.removeLast()
            var results: [ExpressionValue] = []
            for item in domain {
                var next = bound
                next[context.name] = item
                let result = try iterate(kind, contexts.dropFirst(), body, next)
                switch kind {
                case .forEach:
                    if contexts.count > 1, case .list(let inner) = result { results.append(contentsOf: inner) } else { results.append(result) }
                case .some:
                    if result == .bool(true) { return .bool(true) }
                case .every:
                    if result != .bool(true) { return .bool(false) }
                }
            }
            switch kind {
            case .forEach: return .list(results)
            case .some: return .bool(false)
            case .every: return .bool(true)
            }
        }

        /// The items an iteration context runs over: a list, or the integers of a range.
        mutating func domain(of context: IterationContext) throws(ExpressionError) -> [ExpressionValue] {
            let start = try value(context.domain)
            guard let upTo = context.upTo else {
                switch start {
                case .list(let items): return items
                case .null: return []
                default: return [start]
                }
            }
            guard case .number(let from) = start, case .number(let to) = try value(upTo),
                  let first = Int(exactly: from), let last = Int(exactly: to)
            else {
                throw ExpressionError(message: "a range (from..to) needs whole numbers", offset: 0)
            }
            try charge(abs(last - first) + 1)
            return stride(from: first, through: last, by: first <= last ? 1 : -1).map { .number(Double($0)) }
        }

        mutating func holds(_ test: UnaryTest, for x: ExpressionValue) throws(ExpressionError) -> Bool {
            switch test {
            case .equal(let expected):
                let value = try self.value(expected)
                if case .list(let items) = value { return items.contains { Operators.equal(x, $0) } }
                return Operators.equal(x, value)
            case .compare(let op, let bound):
                return try Operators.apply(op, x, try value(bound)) == .bool(true)
            case .interval(let low, let high, let lowIncluded, let highIncluded):
                let above = try Operators.apply(lowIncluded ? .greaterOrEqual : .greater, x, try value(low))
                let below = try Operators.apply(highIncluded ? .lessOrEqual : .less, x, try value(high))
                return above == .bool(true) && below == .bool(true)
            }
        }

        func boolOrNull(_ value: ExpressionValue, _ op: String) throws(ExpressionError) -> Bool? {
            switch value {
            case .bool(let flag): return flag
            case .null: return nil
            default: throw mismatch(op, value)
            }
        }

        func mismatch(_ op: String, _ value: ExpressionValue) -> ExpressionError {
            ExpressionError(message: "'\(op)' cannot be applied to \(value.shown)", offset: 0)
        }
    }
}
