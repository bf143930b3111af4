import BatonModel

#if canImport(Glibc)
import Glibc
#endif

/// FEEL's built-in functions (`BuiltinFunction`). A null argument gives null (except where
/// FEEL says otherwise: `get or else`, `is defined`, `string`, `count`...); an argument of
/// the wrong type is an error naming the function, which the engine turns into an incident.
enum BuiltinFunctions {
    static func call(_ function: BuiltinFunction, _ arguments: [ExpressionValue], now: Int64) throws(ExpressionError) -> ExpressionValue {
        let name = function.rawValue
        func fail(_ why: String) -> ExpressionError { ExpressionError(message: "\(name)(): \(why)", offset: 0) }
        func string(_ index: Int) throws(ExpressionError) -> String? {
            switch arguments[index] {
            case .string(let text): return text
            case .null: return nil
            case let other: throw fail("argument \(index + 1) must be a string, not \(other.shown)")
            }
        }
        func number(_ index: Int) throws(ExpressionError) -> Double? {
            switch arguments[index] {
            case .number(let value): return value
            case .null: return nil
            case let other: throw fail("argument \(index + 1) must be a number, not \(other.shown)")
            }
        }
        func whole(_ index: Int) throws(ExpressionError) -> Int? {
            guard let value = try number(index) else { return nil }
            guard let integer = Int(exactly: value.rounded(.towardZero)), abs(integer) < 1 << 40 else { throw fail("argument \(index + 1) is out of range") }
            return integer
        }
        func list(_ index: Int) throws(ExpressionError) -> [ExpressionValue]? {
            switch arguments[index] {
            case .list(let items): return items
            case .null: return nil
            case let other: return [other]  // FEEL treats a single value as a list of one
            }
        }
        func context(_ index: Int) throws(ExpressionError) -> [String: ExpressionValue]? {
            switch arguments[index] {
            case .context(let members): return members
            case .null: return nil
            case let other: throw fail("argument \(index + 1) must be a context, not \(other.shown)")
            }
        }
        /// The items of a list given as one list argument or as several arguments.
        func items() throws(ExpressionError) -> [ExpressionValue]? {
            if arguments.count == 1 { return try list(0) }
            return arguments
        }
        func numbers() throws(ExpressionError) -> [Double]? {
            guard let values = try items() else { return nil }
            var result: [Double] = []
            for value in values {
                guard case .number(let number) = value else {
                    if value == .null { return nil }
                    throw fail("needs numbers, got \(value.shown)")
                }
                result.append(number)
            }
            return result
        }
        func booleans() throws(ExpressionError) -> [Bool?]? {
            guard let values = try items() else { return nil }
            var result: [Bool?] = []
            for value in values {
                switch value {
                case .bool(let flag): result.append(flag)
                case .null: result.append(nil)
                default: throw fail("needs booleans, got \(value.shown)")
                }
            }
            return result
        }
        func time(_ from: ExpressionValue, parse: (String) throws(FEELTime.Failure) -> ExpressionValue) throws(ExpressionError) -> ExpressionValue {
            guard case .string(let text) = from else { return .null }
            do { return try parse(text) } catch { throw fail(error.message) }
        }
        func days(_ index: Int) throws(ExpressionError) -> Int64? {
            switch arguments[index] {
            case .date(let days): return days
            case .dateTime(let milliseconds, let offset): return FEELTime.floorDivide(milliseconds + Int64(offset ?? 0) * 1000, FEELTime.day)
            case .string(let text): do { return try FEELTime.date(text) } catch { throw fail(error.message) }
            case .null: return nil
            case let other: throw fail("argument \(index + 1) must be a date, not \(other.shown)")
            }
        }
        func literal(_ pattern: String) throws(ExpressionError) -> String {
            let special: Set<Character> = ["\\", "^", "$", ".", "|", "?", "*", "+", "(", ")", "[", "]", "{", "}"]
            guard !pattern.contains(where: special.contains) else {
                throw fail("the pattern '\(pattern.prefix(40))' is a regular expression; Baton takes patterns literally (regular expressions have no bound on their running time)")
            }
            return pattern
        }

        switch function {
        // Conversion
        case .string:
            switch arguments[0] {
            case .null: return .null
            case let value: return .string(Operators.text(value))
            }
        case .number:
            guard let text = try string(0) else { return .null }
            return Double(text.trimmedOfSpaces).map(ExpressionValue.number) ?? .null
        case .date:
            if arguments.count == 3 {
                guard let year = try whole(0), let month = try whole(1), let day = try whole(2) else { return .null }
                guard (1...12).contains(month), (1...ISO8601.daysIn(month: month, year: year)).contains(day) else { throw fail("\(year)-\(month)-\(day) is not a date") }
                return .date(ISO8601.daysFromCivil(year: year, month: month, day: day))
            }
            guard arguments.count == 1 else { throw fail("takes a text, a date and time, or year, month and day") }
            if case .dateTime = arguments[0] { return try days(0).map(ExpressionValue.date) ?? .null }
            if case .date = arguments[0] { return arguments[0] }
            return try time(arguments[0]) { text throws(FEELTime.Failure) in .date(try FEELTime.date(text)) }
        case .dateAndTime:
            if arguments.count == 2 {
                guard let day = try days(0) else { return .null }
                guard case .time(let milliseconds, let offset) = arguments[1] else {
                    if arguments[1] == .null { return .null }
                    throw fail("argument 2 must be a time, not \(arguments[1].shown)")
                }
                return .dateTime(day * FEELTime.day + milliseconds - Int64(offset ?? 0) * 1000, offset: offset)
            }
            if case .dateTime = arguments[0] { return arguments[0] }
            if case .date(let day) = arguments[0] { return .dateTime(day * FEELTime.day, offset: nil) }
            return try time(arguments[0], parse: FEELTime.dateTime)
        case .time:
            if arguments.count >= 3 {
                guard let hour = try whole(0), let minute = try whole(1), let second = try number(2) else { return .null }
                guard (0..<24).contains(hour), (0..<60).contains(minute), second >= 0, second < 60 else { throw fail("the time is out of range") }
                var offset: Int32?
                if arguments.count == 4, case .duration(let milliseconds) = arguments[3] { offset = Int32(milliseconds / 1000) }
                return .time(Int64(hour * 3_600_000 + minute * 60_000) + Int64((second * 1000).rounded()), offset: offset)
            }
            guard arguments.count == 1 else { throw fail("takes a text, a date and time, or hour, minute and second") }
            if case .dateTime(let milliseconds, let offset) = arguments[0] {
                let local = milliseconds + Int64(offset ?? 0) * 1000
                return .time(local - FEELTime.floorDivide(local, FEELTime.day) * FEELTime.day, offset: offset)
            }
            return try time(arguments[0], parse: FEELTime.time)
        case .duration:
            return try time(arguments[0], parse: FEELTime.duration)
        case .yearsAndMonthsDuration:
            guard let from = try days(0), let to = try days(1) else { return .null }
            let (fromYear, fromMonth, fromDay) = ISO8601.civilFromDays(from)
            let (toYear, toMonth, toDay) = ISO8601.civilFromDays(to)
            var months = Int64((toYear - fromYear) * 12 + toMonth - fromMonth)
            if months > 0, toDay < fromDay { months -= 1 }
            if months < 0, toDay > fromDay { months += 1 }
            return .yearsMonths(months)

        // Boolean and null
        case .not:
            switch arguments[0] {
            case .bool(let flag): return .bool(!flag)
            case .null: return .null
            case let other: throw fail("needs a boolean, not \(other.shown)")
            }
        case .isDefined:
            return .bool(arguments[0] != .null)  // paths are answered by the evaluator
        case .getOrElse:
            return arguments[0] == .null ? arguments[1] : arguments[0]

        // Strings
        case .substring:
            guard let text = try string(0), let start = try whole(1) else { return .null }
            let characters = Array(text)
            let first = start > 0 ? start - 1 : characters.count + start
            guard first >= 0, first <= characters.count else { return .string("") }
            var last = characters.count
            if arguments.count == 3 {
                guard let length = try whole(2) else { return .null }
                last = min(characters.count, first + max(0, length))
            }
            return .string(String(characters[first..<last]))
        case .stringLength:
            return try string(0).map { .number(Double($0.count)) } ?? .null
        case .upperCase:
            return try string(0).map { .string($0.uppercased()) } ?? .null
        case .lowerCase:
            return try string(0).map { .string($0.lowercased()) } ?? .null
        case .substringBefore, .substringAfter:
            guard let text = try string(0), let match = try string(1) else { return .null }
            guard !match.isEmpty, let range = text.firstRange(of: match) else { return .string(function == .substringAfter && match.isEmpty ? text : "") }
            return .string(function == .substringBefore ? String(text[..<range.lowerBound]) : String(text[range.upperBound...]))
        case .contains:
            guard let text = try string(0), let match = try string(1) else { return .null }
            return .bool(match.isEmpty || text.firstRange(of: match) != nil)
        case .startsWith:
            guard let text = try string(0), let match = try string(1) else { return .null }
            return .bool(text.hasPrefix(match))
        case .endsWith:
            guard let text = try string(0), let match = try string(1) else { return .null }
            return .bool(text.hasSuffix(match))
        case .matches:
            guard let text = try string(0), let pattern = try string(1) else { return .null }
            return .bool(text.firstRange(of: try literal(pattern)) != nil)
        case .replace:
            guard let text = try string(0), let pattern = try string(1), let replacement = try string(2) else { return .null }
            let match = try literal(pattern)
            guard !match.isEmpty else { return .string(text) }
            return .string(text.replacing(match, with: replacement))
        case .split:
            guard let text = try string(0), let pattern = try string(1) else { return .null }
            let delimiter = try literal(pattern)
            guard !delimiter.isEmpty else { throw fail("the delimiter is empty") }
            return .list(text.split(separator: delimiter, omittingEmptySubsequences: false).map { .string(String($0)) })
        case .trim:
            return try string(0).map { .string($0.trimmedOfSpaces) } ?? .null
        case .isBlank:
            return try string(0).map { .bool($0.trimmedOfSpaces.isEmpty) } ?? .null
        case .stringJoin:
            guard let values = try list(0) else { return .null }
            let delimiter = arguments.count > 1 ? try string(1) ?? "" : ""
            let prefix = arguments.count > 2 ? try string(2) ?? "" : ""
            let suffix = arguments.count > 3 ? try string(3) ?? "" : ""
            var parts: [String] = []
            for value in values {
                switch value {
                case .string(let text): parts.append(text)
                case .null: continue
                default: throw fail("joins strings, not \(value.shown)")
                }
            }
            return .string(prefix + parts.joined(separator: delimiter) + suffix)

        // Lists
        case .listContains:
            guard let values = try list(0) else { return .null }
            return .bool(values.contains { Operators.equal($0, arguments[1]) })
        case .count:
            return try list(0).map { .number(Double($0.count)) } ?? .null
        case .min, .max:
            guard let values = try items(), var best = values.first else { return .null }
            for value in values.dropFirst() {
                guard let order = Operators.order(value, best) else { throw fail("cannot compare \(value.shown) with \(best.shown)") }
                if function == .min ? order < 0 : order > 0 { best = value }
            }
            return best
        case .sum:
            guard let values = try numbers() else { return .null }
            return values.isEmpty ? .null : .number(values.reduce(0, +))
        case .product:
            guard let values = try numbers() else { return .null }
            return values.isEmpty ? .null : .number(values.reduce(1, *))
        case .mean:
            guard let values = try numbers(), !values.isEmpty else { return .null }
            return .number(values.reduce(0, +) / Double(values.count))
        case .median:
            guard let values = try numbers(), !values.isEmpty else { return .null }
            let sorted = values.sorted()
            let middle = sorted.count / 2
            return .number(sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2)
        case .all, .and:
            guard let flags = try booleans() else { return .null }
            if flags.contains(false) { return .bool(false) }
            return flags.contains(nil) ? .null : .bool(true)
        case .any, .or:
            guard let flags = try booleans() else { return .null }
            if flags.contains(true) { return .bool(true) }
            return flags.contains(nil) ? .null : .bool(false)
        case .sublist:
            guard let values = try list(0), let start = try whole(1) else { return .null }
            let first = start > 0 ? start - 1 : values.count + start
            guard first >= 0, first <= values.count else { return .list([]) }
            var last = values.count
            if arguments.count == 3 {
                guard let length = try whole(2) else { return .null }
                last = min(values.count, first + max(0, length))
            }
            return .list(Array(values[first..<last]))
        case .append:
            guard let values = try list(0) else { return .null }
            return .list(values + arguments.dropFirst())
        case .concatenate:
            var result: [ExpressionValue] = []
            for index in arguments.indices {
                guard let values = try list(index) else { return .null }
                result += values
            }
            return .list(result)
        case .insertBefore:
            guard var values = try list(0), let position = try whole(1) else { return .null }
            let index = position > 0 ? position - 1 : values.count + position
            guard index >= 0, index <= values.count else { throw fail("position \(position) is outside the list") }
            values.insert(arguments[2], at: index)
            return .list(values)
        case .remove:
            guard var values = try list(0), let position = try whole(1) else { return .null }
            let index = position > 0 ? position - 1 : values.count + position
            guard index >= 0, index < values.count else { throw fail("position \(position) is outside the list") }
            values.remove(at: index)
            return .list(values)
        case .reverse:
            return try list(0).map { .list($0.reversed()) } ?? .null
        case .indexOf:
            guard let values = try list(0) else { return .null }
            return .list(values.indices.filter { Operators.equal(values[$0], arguments[1]) }.map { .number(Double($0 + 1)) })
        case .union, .distinctValues:
            var result: [ExpressionValue] = []
            for index in arguments.indices {
                guard let values = try list(index) else { return .null }
                for value in values where !result.contains(where: { Operators.equal($0, value) }) { result.append(value) }
            }
            return .list(result)
        case .flatten:
            guard let values = try list(0) else { return .null }
            var result: [ExpressionValue] = []
            func add(_ value: ExpressionValue, _ depth: Int) {
                if case .list(let inner) = value, depth < 64 { inner.forEach { add($0, depth + 1) } } else { result.append(value) }
            }
            values.forEach { add($0, 0) }
            return .list(result)
        case .isEmpty:
            return try list(0).map { .bool($0.isEmpty) } ?? .null

        // Numbers
        case .decimal, .roundHalfUp, .roundHalfDown, .roundUp, .roundDown:
            guard let value = try number(0), let scale = try whole(1) else { return .null }
            guard (-20...20).contains(scale) else { throw fail("the scale \(scale) is out of range") }
            let factor = pow(10, Double(scale))
            let scaled = value * factor
            let rounded: Double
            switch function {
            case .decimal: rounded = scaled.rounded(.toNearestOrEven)
            case .roundHalfUp: rounded = scaled.rounded(.toNearestOrAwayFromZero)
            case .roundHalfDown: rounded = abs(scaled - scaled.rounded(.towardZero)) <= 0.5 ? scaled.rounded(.towardZero) : scaled.rounded(.awayFromZero)
            case .roundUp: rounded = scaled.rounded(.awayFromZero)
            default: rounded = scaled.rounded(.towardZero)
            }
            return .number(rounded / factor)
        case .floor:
            return try number(0).map { .number($0.rounded(.down)) } ?? .null
        case .ceiling:
            return try number(0).map { .number($0.rounded(.up)) } ?? .null
        case .abs:
            switch arguments[0] {
            case .duration(let milliseconds): return .duration(Swift.abs(milliseconds))
            case .yearsMonths(let months): return .yearsMonths(Swift.abs(months))
            default: return try number(0).map { .number(Swift.abs($0)) } ?? .null
            }
        case .modulo:
            guard let dividend = try number(0), let divisor = try number(1) else { return .null }
            guard divisor != 0 else { throw fail("division by zero") }
            return .number(dividend - divisor * (dividend / divisor).rounded(.down))
        case .sqrt:
            guard let value = try number(0) else { return .null }
            return value < 0 ? .null : .number(value.squareRoot())
        case .log:
            guard let value = try number(0) else { return .null }
            return value <= 0 ? .null : .number(Glibc.log(value))
        case .exp:
            guard let value = try number(0) else { return .null }
            let result = Glibc.exp(value)
            return result.isFinite ? .number(result) : .null
        case .odd, .even:
            guard let value = try number(0) else { return .null }
            guard value == value.rounded() else { return .bool(false) }
            let isOdd = value.truncatingRemainder(dividingBy: 2) != 0
            return .bool(function == .odd ? isOdd : !isOdd)

        // Contexts
        case .getValue:
            guard let members = try context(0), let key = try string(1) else { return .null }
            return members[key] ?? .null
        case .getEntries:
            guard let members = try context(0) else { return .null }
            return .list(members.keys.sorted().map { .context(["key": .string($0), "value": members[$0]!]) })
        case .put, .contextPut:
            guard var members = try context(0), let key = try string(1) else { return .null }
            members[key] = arguments[2]
            return .context(members)
        case .putAll, .contextMerge:
            var result: [String: ExpressionValue] = [:]
            let contexts: [ExpressionValue]
            if arguments.count == 1, case .list(let items) = arguments[0] { contexts = items } else { contexts = arguments }
            for value in contexts {
                guard case .context(let members) = value else {
                    if value == .null { return .null }
                    throw fail("merges contexts, not \(value.shown)")
                }
                result.merge(members) { _, later in later }
            }
            return .context(result)

        // Time
        case .now:
            return .dateTime(now, offset: 0)
        case .today:
            return .date(FEELTime.floorDivide(now, FEELTime.day))
        case .dayOfWeek:
            guard let day = try days(0) else { return .null }
            let names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
            return .string(names[Int(((day % 7) + 7 + 3) % 7)])
        case .monthOfYear:
            guard let day = try days(0) else { return .null }
            let names = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
            return .string(names[ISO8601.civilFromDays(day).month - 1])
        case .dayOfYear:
            guard let day = try days(0) else { return .null }
            let year = ISO8601.civilFromDays(day).year
            return .number(Double(day - ISO8601.daysFromCivil(year: year, month: 1, day: 1) + 1))
        case .weekOfYear:
            guard let day = try days(0) else { return .null }
            // ISO weeks: the week with the year's first Thursday is week 1.
            let weekday = ((day % 7) + 7 + 3) % 7  // Monday 0
            let thursday = day - weekday + 3
            let year = ISO8601.civilFromDays(thursday).year
            return .number(Double((thursday - ISO8601.daysFromCivil(year: year, month: 1, day: 1)) / 7 + 1))
        case .lastDayOfMonth:
            guard let day = try days(0) else { return .null }
            let (year, month, _) = ISO8601.civilFromDays(day)
            return .date(ISO8601.daysFromCivil(year: year, month: month, day: ISO8601.daysIn(month: month, year: year)))
        }
    }
}

/// JUEL's methods on strings, lists and maps (Camunda 7's `${list.size() > 0}`).
enum Methods {
    static func call(_ method: Method, on target: ExpressionValue, _ arguments: [ExpressionValue]) throws(ExpressionError) -> ExpressionValue {
        func fail() -> ExpressionError {
            ExpressionError(message: ".\(method.rawValue)() cannot be called on \(target.shown)", offset: 0)
        }
        switch (method, target) {
        case (_, .null):
            throw ExpressionError(message: ".\(method.rawValue)() called on null (a variable that is not set?)", offset: 0)
        case (.size, .list(let items)), (.length, .list(let items)): return .number(Double(items.count))
        case (.size, .context(let members)): return .number(Double(members.count))
        case (.size, .string(let text)), (.length, .string(let text)): return .number(Double(text.count))
        case (.isEmpty, .list(let items)): return .bool(items.isEmpty)
        case (.isEmpty, .context(let members)): return .bool(members.isEmpty)
        case (.isEmpty, .string(let text)): return .bool(text.isEmpty)
        case (.contains, .list(let items)): return .bool(items.contains { Operators.equal($0, arguments[0]) })
        case (.contains, .string(let text)):
            guard case .string(let part) = arguments[0] else { throw fail() }
            return .bool(part.isEmpty || text.firstRange(of: part) != nil)
        case (.containsKey, .context(let members)):
            guard case .string(let key) = arguments[0] else { throw fail() }
            return .bool(members[key] != nil)
        case (.equals, _): return .bool(Operators.equal(target, arguments[0]))
        case (.equalsIgnoreCase, .string(let text)):
            guard case .string(let other) = arguments[0] else { return .bool(false) }
            return .bool(text.lowercased() == other.lowercased())
        case (.startsWith, .string(let text)):
            guard case .string(let part) = arguments[0] else { throw fail() }
            return .bool(text.hasPrefix(part))
        case (.endsWith, .string(let text)):
            guard case .string(let part) = arguments[0] else { throw fail() }
            return .bool(text.hasSuffix(part))
        case (.toUpperCase, .string(let text)): return .string(text.uppercased())
        case (.toLowerCase, .string(let text)): return .string(text.lowercased())
        case (.trim, .string(let text)): return .string(text.trimmedOfSpaces)
        case (.get, .list(let items)):
            guard case .number(let index) = arguments[0], let position = Int(exactly: index), position >= 0, position < items.count else {
                throw ExpressionError(message: ".get(\(arguments[0].shown)) is outside the list of \(items.count)", offset: 0)
            }
            return items[position]
        case (.get, .context(let members)):
            guard case .string(let key) = arguments[0] else { throw fail() }
            return members[key] ?? .null
        case (.indexOf, .string(let text)):
            guard case .string(let part) = arguments[0] else { throw fail() }
            guard let range = text.firstRange(of: part) else { return .number(-1) }
            return .number(Double(text.distance(from: text.startIndex, to: range.lowerBound)))
        case (.indexOf, .list(let items)):
            return .number(Double(items.firstIndex { Operators.equal($0, arguments[0]) } ?? -1))
        case (.substring, .string(let text)):
            let characters = Array(text)
            guard case .number(let from) = arguments[0], let start = Int(exactly: from), start >= 0, start <= characters.count else { throw fail() }
            var end = characters.count
            if arguments.count == 2 {
                guard case .number(let to) = arguments[1], let stop = Int(exactly: to), stop >= start, stop <= characters.count else { throw fail() }
                end = stop
            }
            return .string(String(characters[start..<end]))
        default:
            throw fail()
        }
    }
}
