import BatonModel

/// FEEL's temporal values: parsing their ISO-8601 text, writing it, and the calendar
/// arithmetic, without a calendar library (every replica computes the same).
enum FEELTime {
    static let day: Int64 = 86_400_000

    struct Failure: Error {
        let message: String
    }

    // MARK: Parsing

    /// `YYYY-MM-DD`
    static func date(_ text: String) throws(Failure) -> Int64 {
        do {
            var reader = ISO8601Reader(text, what: "a date (YYYY-MM-DD)")
            let days = try reader.date()
            try reader.finish()
            return days
        } catch {
            throw Failure(message: error.message)
        }
    }

    /// `YYYY-MM-DDThh:mm[:ss[.fff]]` with `Z`, `±hh:mm` or no zone (local); a date alone is
    /// its midnight.
    static func dateTime(_ text: String) throws(Failure) -> ExpressionValue {
        do {
            var reader = ISO8601Reader(text, what: "a date and time (YYYY-MM-DDThh:mm:ss with Z or an offset such as +01:00)")
            let days = try reader.date()
            guard !reader.atEnd else { return .dateTime(days * day, offset: nil) }
            try reader.expect("T")
            let (milliseconds, offset) = try reader.timeOfDay()
            try reader.finish()
            return .dateTime(days * day + milliseconds - Int64(offset ?? 0) * 1000, offset: offset)
        } catch {
            throw Failure(message: error.message)
        }
    }

    /// `hh:mm[:ss[.fff]]` with an optional zone.
    static func time(_ text: String) throws(Failure) -> ExpressionValue {
        do {
            var reader = ISO8601Reader(text, what: "a time (hh:mm:ss)")
            let (milliseconds, offset) = try reader.timeOfDay()
            try reader.finish()
            return .time(milliseconds, offset: offset)
        } catch {
            throw Failure(message: error.message)
        }
    }

    /// `P1DT2H` (days and time) or `P1Y2M` (years and months), optionally negative.
    static func duration(_ text: String) throws(Failure) -> ExpressionValue {
        var body = text.trimmedOfSpaces
        let negative = body.hasPrefix("-")
        if negative { body.removeFirst() }
        let sign: Int64 = negative ? -1 : 1
        if body.hasPrefix("P"), !body.contains("T"), body.hasSuffix("Y") || body.hasSuffix("M") {
            var months: Int64 = 0
            var digits = ""
            var sawUnit = false
            for character in body.dropFirst() {
                if character.isASCII, character.isNumber {
                    digits.append(character)
                } else if character == "Y" || character == "M", let value = Int64(digits), value < 1_000_000 {
                    months += character == "Y" ? value * 12 : value
                    digits = ""
                    sawUnit = true
                } else {
                    throw Failure(message: "'\(text)' is not a duration (P1Y2M, P3DT4H)")
                }
            }
            guard sawUnit, digits.isEmpty else { throw Failure(message: "'\(text)' is not a duration (P1Y2M, P3DT4H)") }
            return .yearsMonths(sign * months)
        }
        do {
            return .duration(sign * (try ISO8601.durationMilliseconds(body)))
        } catch {
            throw Failure(message: error.message)
        }
    }

    // MARK: Writing

    static func text(_ value: ExpressionValue) -> String {
        switch value {
        case .date(let days): dateText(days)
        case .dateTime(let milliseconds, let offset):
            dateTimeText(milliseconds + Int64(offset ?? 0) * 1000) + offsetText(offset)
        case .time(let milliseconds, let offset): timeText(milliseconds) + offsetText(offset)
        case .duration(let milliseconds): durationText(milliseconds)
        case .yearsMonths(let months): yearsMonthsText(months)
        default: value.json.jsonText
        }
    }

    static func dateText(_ days: Int64) -> String {
        let (year, month, day) = ISO8601.civilFromDays(days)
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }

    /// Local wall-clock milliseconds as `YYYY-MM-DDThh:mm:ss[.fff]`.
    static func dateTimeText(_ milliseconds: Int64) -> String {
        let days = floorDivide(milliseconds, day)
        return dateText(days) + "T" + timeText(milliseconds - days * day)
    }

    static func timeText(_ milliseconds: Int64) -> String {
        let inDay = ((milliseconds % day) + day) % day
        let seconds = inDay / 1000
        let fraction = inDay % 1000
        let text = "\(padded(Int(seconds / 3600), 2)):\(padded(Int(seconds / 60 % 60), 2)):\(padded(Int(seconds % 60), 2))"
        return fraction == 0 ? text : text + "." + padded(Int(fraction), 3)
    }

    static func offsetText(_ offset: Int32?) -> String {
        guard let offset else { return "" }
        if offset == 0 { return "Z" }
        let minutes = Int(abs(offset) / 60)
        return (offset < 0 ? "-" : "+") + padded(minutes / 60, 2) + ":" + padded(minutes % 60, 2)
    }

    static func durationText(_ milliseconds: Int64) -> String {
        if milliseconds == 0 { return "PT0S" }
        var rest = abs(milliseconds)
        let days = rest / day
        rest %= day
        let hours = rest / 3_600_000
        rest %= 3_600_000
        let minutes = rest / 60_000
        rest %= 60_000
        var text = milliseconds < 0 ? "-P" : "P"
        if days > 0 { text += "\(days)D" }
        if rest > 0 || hours > 0 || minutes > 0 {
            text += "T"
            if hours > 0 { text += "\(hours)H" }
            if minutes > 0 { text += "\(minutes)M" }
            if rest > 0 { text += rest % 1000 == 0 ? "\(rest / 1000)S" : "\(rest / 1000).\(padded(Int(rest % 1000), 3))S" }
        }
        return text
    }

    static func yearsMonthsText(_ months: Int64) -> String {
        if months == 0 { return "P0M" }
        let total = abs(months)
        var text = months < 0 ? "-P" : "P"
        if total / 12 > 0 { text += "\(total / 12)Y" }
        if total % 12 > 0 { text += "\(total % 12)M" }
        return text
    }

    static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(abs(value))
        return (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor < 0 ? quotient - 1 : quotient
    }

    // MARK: Calendar

    /// `days` moved by `months` calendar months (the day kept, or the month's last day).
    static func addMonths(_ months: Int64, toDays days: Int64) -> Int64 {
        let (year, month, dayOfMonth) = ISO8601.civilFromDays(days)
        let total = Int64(year) * 12 + Int64(month - 1) + months
        let newYear = Int(floorDivide(total, 12))
        let newMonth = Int(total - Int64(newYear) * 12) + 1
        return ISO8601.daysFromCivil(year: newYear, month: newMonth, day: min(dayOfMonth, ISO8601.daysIn(month: newMonth, year: newYear)))
    }

    /// A date-time moved by calendar months, keeping its time of day (in its own zone).
    static func addMonths(_ months: Int64, to milliseconds: Int64, offset: Int32?) -> Int64 {
        let local = milliseconds + Int64(offset ?? 0) * 1000
        let days = floorDivide(local, day)
        return addMonths(months, toDays: days) * day + (local - days * day) - Int64(offset ?? 0) * 1000
    }

    /// The calendar fields FEEL exposes as properties (`d.year`, `t.hour`, `p.days`...).
    static func property(_ name: String, of value: ExpressionValue) -> ExpressionValue {
        func dateField(_ days: Int64) -> ExpressionValue? {
            let (year, month, dayOfMonth) = ISO8601.civilFromDays(days)
            switch name {
            case "year": return .number(Double(year))
            case "month": return .number(Double(month))
            case "day": return .number(Double(dayOfMonth))
            case "weekday": return .number(Double(((days % 7) + 7 + 3) % 7 + 1))  // 1970-01-01 was a Thursday; Monday is 1
            default: return nil
            }
        }
        func timeField(_ milliseconds: Int64) -> ExpressionValue? {
            let inDay = ((milliseconds % day) + day) % day
            switch name {
            case "hour": return .number(Double(inDay / 3_600_000))
            case "minute": return .number(Double(inDay / 60_000 % 60))
            case "second": return .number(Double(inDay % 60_000) / 1000)
            default: return nil
            }
        }
        switch value {
        case .date(let days):
            return dateField(days) ?? .null
        case .dateTime(let milliseconds, let offset):
            let local = milliseconds + Int64(offset ?? 0) * 1000
            if name == "time offset" || name == "offset" { return offset.map { .duration(Int64($0) * 1000) } ?? .null }
            return dateField(floorDivide(local, day)) ?? timeField(local) ?? .null
        case .time(let milliseconds, _):
            return timeField(milliseconds) ?? .null
        case .duration(let milliseconds):
            switch name {
            case "days": return .number(Double(milliseconds / day))
            case "hours": return .number(Double(milliseconds % day / 3_600_000))
            case "minutes": return .number(Double(milliseconds % 3_600_000 / 60_000))
            case "seconds": return .number(Double(milliseconds % 60_000) / 1000)
            default: return .null
            }
        case .yearsMonths(let months):
            switch name {
            case "years": return .number(Double(months / 12))
            case "months": return .number(Double(months % 12))
            default: return .null
            }
        default:
            return .null
        }
    }
}

extension String {
    var trimmedOfSpaces: String {
        var scalars = Substring(self)
        while scalars.first?.isWhitespace == true { scalars.removeFirst() }
        while scalars.last?.isWhitespace == true { scalars.removeLast() }
        return String(scalars)
    }
}
