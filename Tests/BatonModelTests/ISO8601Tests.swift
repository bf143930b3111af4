import BatonModel
import Testing

struct ISO8601Tests {
    @Test(arguments: [
        ("PT5M", Int64(300_000)), ("PT1H", 3_600_000), ("P1D", 86_400_000), ("P2W", 1_209_600_000),
        ("P1DT2H3M4.5S", 93_784_500), ("PT0.25S", 250), ("PT1,5S", 1500), ("PT0S", 0),
    ])
    func durations(_ text: String, _ milliseconds: Int64) throws {
        #expect(try ISO8601.durationMilliseconds(text) == milliseconds)
    }

    @Test(arguments: ["", "P", "PT", "5M", "P1M", "P1Y", "PT5D", "P5H", "PTxS", "P1DT"])
    func malformedDurations(_ text: String) {
        #expect(throws: TimeFormatError.self) { try ISO8601.durationMilliseconds(text) }
    }

    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2026-11-27T13:54:33Z", 1_795_787_673_000),
        ("2026-11-27T14:54:33+01:00", 1_795_787_673_000),
        ("2024-02-29T12:00Z", 1_709_208_000_000),
        ("2000-03-01T00:00:00.123Z", 951_868_800_123),
        ("1969-12-31T23:59:59Z", -1000),
    ])
    func dates(_ text: String, _ epochMilliseconds: Int64) throws {
        #expect(try ISO8601.epochMilliseconds(text) == epochMilliseconds)
    }

    @Test(arguments: ["2026-11-27T13:54:33", "2026-13-01T00:00Z", "2023-02-29T00:00Z", "2026-11-27", "2026-11-27T25:00Z", "2026-11-27T10:00Zjunk"])
    func malformedDates(_ text: String) {
        #expect(throws: TimeFormatError.self) { try ISO8601.epochMilliseconds(text) }
    }
}
