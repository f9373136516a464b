// ServedCertificate: the server's own leaf certificate as the operator sees it
// (serial, subject, notAfter and days left), for the reload log line, the
// expiry warning and the certificate expiry metric. A plain value: TLSContext+ServerCertificate reads it from the
// SSL_CTX; this type neither reads nor checks anything.
/// The server's own certificate, as the log shows it.
public struct ServedCertificate: Sendable, Equatable {
    public let serial: String
    public let subject: String
    /// notAfter as "YYYY-MM-DD HH:MM UTC".
    public let notAfter: String
    /// Whole days from now until notAfter (negative once expired).
    public let daysLeft: Int
    /// notAfter in seconds since 1970-01-01 UTC (nil if OpenSSL could not convert it).
    public var notAfterSeconds: Int64? = nil
}
