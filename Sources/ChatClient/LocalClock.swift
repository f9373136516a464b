// LocalClock: shows the server's time stamps of stored messages (the UTC
// `2026-12-06T02:58:01.123Z` of a HIST line, PROTOCOL.md section 11) in the
// user's local time: "14:05" when it is the same local day as now, else
// "2026-12-06 14:05". A stamp it cannot read is shown as it came (sanitized
// later, like every server text). The time zone offset and "now" come from
// the caller (tlschat asks the C library); this file only does calendar
// arithmetic on the proleptic Gregorian calendar. Pure.

import ChatCore

public struct LocalClock: Sendable {
    /// Seconds east of UTC in force at a moment (epoch seconds): daylight saving may differ per date.
    public let utcOffset: @Sendable (_ epochSeconds: Int) -> Int
    /// The current time, in epoch seconds.
    public let now: @Sendable () -> Int

    public init(utcOffset: @escaping @Sendable (Int) -> Int, now: @escaping @Sendable () -> Int) {
        self.utcOffset = utcOffset
        self.now = now
    }

    /// UTC, with "now" at the epoch: every stamp then shows its date (for tests and defaults).
    public static let utc = LocalClock(utcOffset: { _ in 0 }, now: { 0 })

    /// "14:05", or "2026-12-06 14:05" on another local day than today.
    public func show(_ stamp: String) -> String {
        guard let seconds = Self.epochSeconds(stamp) else { return stamp }
        let local = seconds + utcOffset(seconds)
        let current = now()
        let today = Self.floorDivide(current + utcOffset(current), 86_400)
        let day = Self.floorDivide(local, 86_400)
        let minutes = (local - day * 86_400) / 60
        let time = Self.two(minutes / 60) + ":" + Self.two(minutes % 60)
        guard day != today else { return time }
        let (year, month, dayOfMonth) = Self.civilDate(daysSinceEpoch: day)
        return "\(year)-\(Self.two(month))-\(Self.two(dayOfMonth)) \(time)"
    }

    /// Epoch seconds of `YYYY-MM-DDTHH:MM:SS[.fff]Z`; nil for anything else.
    static func epochSeconds(_ stamp: String) -> Int? {
        let bytes = Array(stamp.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z") else { return nil }
        func number(_ start: Int, _ length: Int) -> Int? {
            var value = 0
            for byte in bytes[start..<start + length] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        let separators: [(Int, Character)] = [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":")]
        guard separators.allSatisfy({ bytes[$0.0] == $0.1.asciiValue }),
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        return daysSinceEpoch(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60 + second
    }

    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        CivilDate.daysSinceEpoch(year: year, month: month, day: day)
    }

    static func civilDate(daysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
        CivilDate.date(daysSinceEpoch: days)
    }

    private static func floorDivide(_ value: Int, _ divisor: Int) -> Int { CivilDate.floorDivide(value, divisor) }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
