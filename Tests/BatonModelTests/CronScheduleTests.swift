import BatonModel
import Testing

/// Cron timer cycles (Camunda 8's `timeCycle` in cron form), computed in UTC.
@Suite struct CronScheduleTests {
    static func at(_ text: String) throws -> Int64 { try ISO8601.epochMilliseconds(text) }

    @Test(arguments: [
        ("0 0 9 * * MON-FRI", "2026-11-28T08:00:00Z", "2026-11-30T09:00:00Z"),  // Saturday → Monday
        ("*/15 * * * *", "2026-11-28T10:07:30Z", "2026-11-28T10:15:00Z"),  // five fields: second 0
        ("@daily", "2026-11-28T23:59:59.500Z", "2026-11-29T00:00:00Z"),
        ("@hourly", "2026-11-28T10:00:00Z", "2026-11-28T11:00:00Z"),  // strictly after
        ("0 0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"),
        ("0 0 12 ? * SUN", "2026-11-28T13:00:00Z", "2026-11-29T12:00:00Z"),
        ("0 0 12 * * 7", "2026-11-28T13:00:00Z", "2026-11-29T12:00:00Z"),  // 7 is Sunday too
        ("30 5 1-3/2 * JAN,jul *", "2026-11-28T00:00:00Z", "2027-01-01T01:05:30Z"),
        ("0 0 0 13 * FRI", "2026-01-01T00:00:00Z", "2026-02-13T00:00:00Z"),  // both restricted: both must match
        ("0 0 8 1 * *", "2026-12-31T23:00:00Z", "2027-01-01T08:00:00Z"),
    ])
    func theNextInstantMatches(_ cron: String, _ from: String, _ expected: String) throws {
        let schedule = try CronSchedule(cron)
        #expect(schedule.next(after: try Self.at(from)) == (try Self.at(expected)))
    }

    @Test(arguments: [
        ("0 0 25 * * *", "the hour field '25': 25 is outside 0-23"),
        ("0 0 0 L * *", "'L', 'W' and '#' are not supported"),
        ("1 2 3", "it has 3 fields"),
        ("0 0 0 30 2 *", "no date matches it"),
        ("0 0 9 * * MON-XYZ", "'XYZ' is not a number or a name"),
        ("0 0 9-5 * * *", "goes backwards"),
        ("0 */0 * * * *", "step '0'"),
        ("0 0 9 * * ,", "is not a value, range or step"),
    ])
    func malformedCronIsRefusedWithTheReason(_ cron: String, _ fragment: String) {
        #expect {
            try CronSchedule(cron)
        } throws: { error in
            "\(error)".contains(fragment) && "\(error)".contains(cron)
        }
    }

    @Test func cronIsToldApartFromISO8601() {
        #expect(CronSchedule.looksLikeCron("0 0 9 * * MON-FRI") && CronSchedule.looksLikeCron("@weekly"))
        #expect(!CronSchedule.looksLikeCron("R3/PT10M") && !CronSchedule.looksLikeCron("R/PT1H"))
    }
}
