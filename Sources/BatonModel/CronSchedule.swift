/// A cron timer cycle as Camunda 8 writes it (`timeCycle` `0 0 9 * * MON-FRI`, Spring's
/// six fields: second, minute, hour, day of month, month, day of week; five fields leave
/// the second at 0), evaluated in UTC so every replica computes the same instants. Fields
/// take `*`, `?`, numbers, ranges `a-b`, lists `a,b`, steps `*/n` and `a-b/n`, and names
/// (`JAN`, `MON`; Sunday is 0 or 7); the macros `@yearly`, `@monthly`, `@weekly`, `@daily`,
/// `@midnight` and `@hourly`. When both the day of month and the day of week are
/// restricted, a day must match both (Spring's rule). `L`, `W` and `#` are refused.
public struct CronSchedule: Sendable, Hashable {
    let seconds: UInt64
    let minutes: UInt64
    let hours: UInt64
    let daysOfMonth: UInt64
    let months: UInt64
    /// Bit 0 is Sunday.
    let daysOfWeek: UInt64
    public let source: String

    private static let macros = [
        "@yearly": "0 0 0 1 1 *", "@annually": "0 0 0 1 1 *", "@monthly": "0 0 0 1 * *", "@weekly": "0 0 0 * * 0",
        "@daily": "0 0 0 * * *", "@midnight": "0 0 0 * * *", "@hourly": "0 0 * * * *",
    ]
    private static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    private static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
    /// How far ahead the next instant is looked for: every day pattern recurs within 8 years.
    static let searchDays = 8 * 366

    /// Whether a cycle text is written as cron rather than ISO-8601 (`R3/PT10M`).
    public static func looksLikeCron(_ text: String) -> Bool {
        let trimmed = text.trimmingWhitespace()
        return trimmed.hasPrefix("@") || trimmed.split(separator: " ").count >= 5
    }

    public init(_ text: String) throws(TimeFormatError) {
        source = text.trimmingWhitespace()
        let expanded = Self.macros[source.lowercased()] ?? source
        var fields = expanded.split(separator: " ").map(String.init)
        func fail(_ why: String) -> TimeFormatError {
            TimeFormatError(message: "'\(text)' is not a cron expression (second minute hour day-of-month month day-of-week, e.g. 0 0 9 * * MON-FRI): \(why)")
        }
        if fields.count == 5 { fields.insert("0", at: 0) }
        guard fields.count == 6 else { throw fail("it has \(fields.count) fields; write 5 or 6") }
        func field(_ index: Int, _ range: ClosedRange<Int>, _ name: String, names: [String] = [], nameBase: Int = 0) throws(TimeFormatError) -> UInt64 {
            do {
                return try Self.parseField(fields[index], range, names: names, nameBase: nameBase)
            } catch {
                throw fail("the \(name) field '\(fields[index])': \(error.message)")
            }
        }
        seconds = try field(0, 0...59, "second")
        minutes = try field(1, 0...59, "minute")
        hours = try field(2, 0...23, "hour")
        daysOfMonth = try field(3, 1...31, "day-of-month")
        months = try field(4, 1...12, "month", names: Self.monthNames, nameBase: 1)
        let week = try field(5, 0...7, "day-of-week", names: Self.dayNames)
        daysOfWeek = (week & 0x7F) | (week >> 7 & 1)
        guard next(after: 946_684_800_000) != nil else { throw fail("no date matches it (a day that no month has?)") }
    }

    /// The first instant strictly after `epochMilliseconds` that matches, in milliseconds
    /// since the epoch; nil when none comes within eight years.
    public func next(after epochMilliseconds: Int64) -> Int64? {
        // The next whole second after the given instant.
        let start = (epochMilliseconds >= 0 ? epochMilliseconds / 1000 : (epochMilliseconds - 999) / 1000) + 1
        let firstDay = start >= 0 ? start / 86_400 : (start - 86_399) / 86_400
        for day in firstDay..<(firstDay + Int64(Self.searchDays)) {
            let (_, month, dayOfMonth) = ISO8601.civilFromDays(day)
            let weekday = Int((day % 7 + 11) % 7)  // 1970-01-01 was a Thursday (4)
            guard months.has(month), dayMatches(dayOfMonth, weekday) else { continue }
            let from = day == firstDay ? start - day * 86_400 : 0
            for hour in 0..<24 where hours.has(hour) {
                guard Int64(hour * 3600 + 3599) >= from else { continue }
                for minute in 0..<60 where minutes.has(minute) {
                    guard Int64(hour * 3600 + minute * 60 + 59) >= from else { continue }
                    for second in 0..<60 where seconds.has(second) {
                        let offset = Int64(hour * 3600 + minute * 60 + second)
                        if offset >= from { return (day * 86_400 + offset) * 1000 }
                    }
                }
            }
        }
        return nil
    }

    private func dayMatches(_ dayOfMonth: Int, _ weekday: Int) -> Bool {
        let allDays: UInt64 = (1 << 32) - 2
        let allWeek: UInt64 = 0x7F
        let byMonth = daysOfMonth.has(dayOfMonth)
        let byWeek = daysOfWeek.has(weekday)
        if daysOfMonth == allDays { return byWeek }
        if daysOfWeek == allWeek { return byMonth }
        return byMonth && byWeek
    }

    private struct FieldError: Error { let message: String }

    private static func parseField(_ text: String, _ range: ClosedRange<Int>, names: [String], nameBase: Int) throws(FieldError) -> UInt64 {
        func value(_ word: Substring) throws(FieldError) -> Int {
            if let number = Int(word) {
                guard range.contains(number) else { throw FieldError(message: "\(number) is outside \(range.lowerBound)-\(range.upperBound)") }
                return number
            }
            if let index = names.firstIndex(of: word.uppercased()) { return index + nameBase }
            if word.contains(where: { "LW#".contains($0) }) { throw FieldError(message: "'L', 'W' and '#' are not supported") }
            throw FieldError(message: "'\(word)' is not a number\(names.isEmpty ? "" : " or a name (\(names.first!)…)")")
        }
        var bits: UInt64 = 0
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, !pieces[0].isEmpty else { throw FieldError(message: "'\(part)' is not a value, range or step") }
            var step = 1
            if pieces.count == 2 {
                guard let number = Int(pieces[1]), number >= 1, number <= range.upperBound + 1 else { throw FieldError(message: "step '\(pieces[1])' is not a whole number from 1 to \(range.upperBound + 1)") }
                step = number
            }
            var low = range.lowerBound
            var high = range.upperBound
            if pieces[0] != "*" && pieces[0] != "?" {
                let bounds = pieces[0].split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2, !bounds.contains(where: \.isEmpty) else { throw FieldError(message: "'\(pieces[0])' is not a value or a range") }
                low = try value(bounds[0])
                high = bounds.count == 2 ? try value(bounds[1]) : (pieces.count == 2 ? range.upperBound : low)
                guard low <= high else { throw FieldError(message: "range \(pieces[0]) goes backwards") }
            }
            for number in stride(from: low, through: high, by: step) { bits |= 1 << UInt64(number) }
        }
        return bits
    }
}

extension UInt64 {
    fileprivate func has(_ number: Int) -> Bool { self & (1 << UInt64(number)) != 0 }
}
