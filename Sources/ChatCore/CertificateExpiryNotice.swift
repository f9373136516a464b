// CertificateExpiryNotice: whether a `cert` user should be told, right after
// the greeting, that their client certificate expires soon, and the words:
// `NOTICE expiry your certificate expires 2026-12-11 04:05 UTC (in 4 days)`.
//
// Pure: the certificate's notAfter and the current time are given to it (both
// seconds since 1970-01-01 UTC); it reads no clock and no certificate. The
// server layer decides nothing here: it passes the values and sends the line.
// A certificate that has already expired never gets here (it fails the TLS
// handshake); it is not warned about.

public enum CertificateExpiryNotice {
    /// Warn when the certificate expires within this many days (tlschatd --warn-expiry-days).
    public static let defaultWarningDays = 14
    static let secondsPerDay: Int64 = 86_400

    /// The NOTICE line for a certificate valid until `notAfter`, at time `now`, or nil when it
    /// expires later than `warningDays` days from now (exactly that far still warns) or the
    /// warning is off (`warningDays` 0).
    public static func line(notAfter: Int64, now: Int64, warningDays: Int) -> String? {
        guard warningDays > 0 else { return nil }
        let remaining = notAfter - now
        guard remaining > 0, remaining <= Int64(warningDays) * secondsPerDay else { return nil }
        let days = remaining / secondsPerDay
        let when = days == 0 ? "within a day" : days == 1 ? "in 1 day" : "in \(days) days"
        return "NOTICE expiry your certificate expires \(dateText(notAfter)) (\(when)); ask for a new one before then"
    }

    /// "YYYY-MM-DD HH:MM UTC" (also how the server names other expiry dates, e.g. a NATS JWT's).
    public static func dateText(_ seconds: Int64) -> String {
        let days = CivilDate.floorDivide(Int(seconds), Int(secondsPerDay))
        let date = CivilDate.date(daysSinceEpoch: days)
        let minutes = (Int(seconds) - days * Int(secondsPerDay)) / 60
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(date.year)-\(two(date.month))-\(two(date.day)) \(two(minutes / 60)):\(two(minutes % 60)) UTC"
    }
}
