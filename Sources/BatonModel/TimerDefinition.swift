/// When a timer event fires, parsed at deploy time.
///
/// Literal ISO-8601 values are converted once; values written as expressions are kept
/// parsed and evaluated by the engine when the timer is armed.
public enum TimerDefinition: Sendable, Hashable {
    /// Fires this many milliseconds after the element is entered (`timeDuration`, e.g. `PT5M`).
    case duration(milliseconds: Int64)
    /// Fires at this instant, milliseconds since 1970-01-01T00:00:00Z (`timeDate`).
    case date(epochMilliseconds: Int64)
    /// A `timeDuration` computed from variables; the result must be an ISO-8601 duration.
    case durationExpression(ParsedExpression)
    /// A `timeDate` computed from variables; the result must be an ISO-8601 date-time.
    case dateExpression(ParsedExpression)
    /// `timeCycle` `R3/PT10M`: fires after each interval, this many times (nil: `R/PT10M`,
    /// without end). Only a non-interrupting boundary event repeats; others fire once.
    case cycle(repetitions: Int32?, intervalMilliseconds: Int64)
    /// A `timeCycle` computed from variables; the result must be an ISO-8601 cycle or a
    /// cron expression.
    case cycleExpression(ParsedExpression)
    /// `timeCycle` as cron (`0 0 9 * * MON-FRI`, Camunda 8): fires at every matching
    /// instant (UTC), without end.
    case cron(CronSchedule)
}

/// Why an ISO-8601 text was refused.
public struct TimeFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// ISO-8601 durations and date-times, computed without a calendar library so that every
/// replica gets the same number.
public enum ISO8601 {
    /// Parses `PnW`, `PnDTnHnMnS` (fractions of seconds allowed) into milliseconds. Years
    /// and months are refused: their length depends on the calendar date they start from.
    public static func durationMilliseconds(_ text: String) throws(TimeFormatError) -> Int64 {
        var scalars = Array(text.trimmingWhitespace().unicodeScalars)[...]
        func fail(_ why: String) -> TimeFormatError {
            TimeFormatError(message: "'\(text)' is not an ISO-8601 duration: \(why)")
        }
        guard scalars.first == "P" else { throw fail("it must start with 'P' (e.g. PT5M, P1D)") }
        scalars = scalars.dropFirst()
        guard !scalars.isEmpty else { throw fail("nothing follows 'P'") }
        var total: Double = 0
        var inTime = false
        var sawComponent = false
        var sawTimeComponent = false
        while let scalar = scalars.first {
            if scalar == "T" {
                guard !inTime else { throw fail("'T' appears twice") }
                inTime = true
                scalars = scalars.dropFirst()
                continue
            }
            let digits = scalars.prefix { ("0"..."9").contains($0) || $0 == "." || $0 == "," }
            guard !digits.isEmpty else { throw fail("expected a number at '\(String(scalar))'") }
            scalars = scalars.dropFirst(digits.count)
            let numberText = String(String.UnicodeScalarView(digits)).replacingComma()
            guard let value = Double(numberText), let unit = scalars.first else {
                throw fail("'\(numberText)' has no unit")
            }
            scalars = scalars.dropFirst()
            let unitMilliseconds: Double
            switch (unit, inTime) {
            case ("W", false): unitMilliseconds = 7 * 86_400_000
            case ("D", false): unitMilliseconds = 86_400_000
            case ("H", true): unitMilliseconds = 3_600_000
            case ("M", true): unitMilliseconds = 60_000
            case ("S", true): unitMilliseconds = 1000
            case ("Y", false), ("M", false):
                throw fail("years and months have no fixed length; use weeks or days")
            default:
                throw fail("unit '\(String(unit))' is not valid \(inTime ? "after" : "before") 'T'")
            }
            total += value * unitMilliseconds
            sawComponent = true
            sawTimeComponent = sawTimeComponent || inTime
        }
        guard sawComponent else { throw fail("it names no amount of time") }
        guard !inTime || sawTimeComponent else { throw fail("nothing follows 'T'") }
        guard total < 9e15 else { throw fail("it is too long") }
        return Int64(total.rounded())
    }

    /// Parses a repeating interval `R<n>/<duration>` (or `R/<duration>`, without end) into
    /// the number of repetitions (nil: no end) and the interval in milliseconds.
    public static func cycle(_ text: String) throws(TimeFormatError) -> (repetitions: Int32?, intervalMilliseconds: Int64) {
        let trimmed = text.trimmingWhitespace()
        func fail(_ why: String) -> TimeFormatError {
            TimeFormatError(message: "'\(text)' is not an ISO-8601 repeating interval (R3/PT10M, R/PT1H): \(why)")
        }
        guard trimmed.hasPrefix("R") else {
            throw fail(trimmed.contains(" ") ? "a cron expression needs 5 or 6 fields (second minute hour day-of-month month day-of-week)" : "it must start with 'R'")
        }
        let parts = trimmed.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw fail(parts.count == 3 ? "a start or end date is not supported; write R<count>/<duration>" : "expected R<count>/<duration>")
        }
        var repetitions: Int32?
        if !parts[0].isEmpty {
            guard let count = Int32(parts[0]), count >= 1, count <= 1_000_000 else { throw fail("the count must be a whole number from 1 to 1000000") }
            repetitions = count
        }
        let interval = try durationMilliseconds(String(parts[1]))
        guard interval >= 1000 else { throw fail("the interval must be at least one second") }
        return (repetitions, interval)
    }

    /// Parses `YYYY-MM-DDThh:mm[:ss[.fff]](Z|±hh:mm)` into milliseconds since the epoch.
    /// A zone is required, so that the instant is the same on every replica.
    public static func epochMilliseconds(_ text: String) throws(TimeFormatError) -> Int64 {
        var reader = ISO8601Reader(text, what: "an ISO-8601 date-time")
        let days = try reader.date()
        try reader.expect("T")
        let (milliseconds, offset) = try reader.timeOfDay()
        guard let offset else { throw reader.fail("it has no zone; add 'Z' or an offset such as '+01:00'") }
        try reader.finish()
        return days * 86_400_000 + milliseconds - Int64(offset) * 1000
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The calendar date of a day count since 1970-01-01 (the inverse of `daysFromCivil`).
    public static func civilFromDays(_ days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        let month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
        let year = Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

extension String {
    fileprivate func replacingComma() -> String {
        String(unicodeScalars.map { $0 == "," ? "." : Character($0) })
    }
}

/// Reads ISO-8601 dates and times from text, naming what it expected and where when it fails
/// (timer dates here, FEEL's `date()`, `time()` and `date and time()` in the engine).
public struct ISO8601Reader {
    let bytes: [UInt8]
    let text: String
    /// What the text should be, with its article ("an ISO-8601 date-time").
    let what: String
    var position = 0

    public init(_ text: String, what: String) {
        self.text = text
        self.bytes = Array(text.trimmingWhitespace().utf8)
        self.what = what
    }

    public var atEnd: Bool { position == bytes.count }

    public func fail(_ why: String) -> TimeFormatError { TimeFormatError(message: "'\(text)' is not \(what): \(why)") }

    mutating func number(_ count: Int) throws(TimeFormatError) -> Int {
        guard position + count <= bytes.count else { throw fail("it ends too early") }
        var value = 0
        for byte in bytes[position..<position + count] {
            guard byte >= 48 && byte <= 57 else { throw fail("expected a digit at character \(position + 1)") }
            value = value * 10 + Int(byte - 48)
        }
        position += count
        return value
    }

    public mutating func expect(_ character: Character) throws(TimeFormatError) {
        guard position < bytes.count, bytes[position] == character.asciiValue else {
            throw fail("expected '\(character)' at character \(position + 1)")
        }
        position += 1
    }

    /// `YYYY-MM-DD` as days since 1970-01-01.
    public mutating func date() throws(TimeFormatError) -> Int64 {
        let year = try number(4)
        try expect("-")
        let month = try number(2)
        try expect("-")
        let day = try number(2)
        guard (1...12).contains(month), (1...ISO8601.daysIn(month: month, year: year)).contains(day) else {
            throw fail("the month or day is out of range")
        }
        return ISO8601.daysFromCivil(year: year, month: month, day: day)
    }

    /// `hh:mm[:ss[.fff]]` and its zone if it has one: milliseconds since midnight and the
    /// offset in seconds east of UTC (`Z` is 0).
    public mutating func timeOfDay() throws(TimeFormatError) -> (Int64, Int32?) {
        let hour = try number(2)
        try expect(":")
        let minute = try number(2)
        var second = 0
        var millisecond = 0
        if position < bytes.count, bytes[position] == UInt8(ascii: ":") {
            position += 1
            second = try number(2)
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                position += 1
                var scale = 100
                while position < bytes.count, bytes[position] >= 48, bytes[position] <= 57 {
                    millisecond += Int(bytes[position] - 48) * scale
                    scale /= 10
                    position += 1
                }
            }
        }
        guard hour < 24, minute < 60, second < 60 else { throw fail("the hour, minute or second is out of range") }
        let milliseconds = Int64(((hour * 60 + minute) * 60 + second) * 1000 + millisecond)
        guard position < bytes.count else { return (milliseconds, nil) }
        switch bytes[position] {
        case UInt8(ascii: "Z"):
            position += 1
            return (milliseconds, 0)
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = bytes[position] == UInt8(ascii: "-") ? -1 : 1
            position += 1
            let hours = try number(2)
            try expect(":")
            let minutes = try number(2)
            return (milliseconds, Int32(sign * (hours * 3600 + minutes * 60)))
        case UInt8(ascii: "@"), UInt8(ascii: "["):
            throw fail("zone names (@Europe/Berlin) are not supported; write the offset (+01:00)")
        default:
            throw fail("expected 'Z' or an offset at character \(position + 1)")
        }
    }

    public func finish() throws(TimeFormatError) {
        guard atEnd else { throw fail("unexpected text after the \(position == 0 ? "start" : "time") at character \(position + 1)") }
    }
}
