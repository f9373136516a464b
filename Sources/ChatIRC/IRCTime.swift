// IRCTime: the `time` tag of IRCv3 server-time, `2026-12-06T02:58:01.123Z`,
// from milliseconds since 1970-01-01 UTC. Pure arithmetic (CivilDate); the
// caller brings the clock.
import ChatCore

public enum IRCTime {
    public static func tagValue(milliseconds: Int64) -> String {
        let seconds = CivilDate.floorDivide(Int(milliseconds), 1000)
        let millis = Int(milliseconds) - seconds * 1000
        let days = CivilDate.floorDivide(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = CivilDate.date(daysSinceEpoch: days)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):"
            + "\(pad(secondOfDay % 60, 2)).\(pad(millis, 3))Z"
    }
}
