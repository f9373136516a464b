// RevokedCertificate: a certificate a CRL lists, as the log and the user are
// told about it (serial and subject). It is a plain value: TLSContext finds
// which certificate is revoked (TLSContext+Revocation); this type only names it.
/// A certificate a CRL lists, as the log and the user are told about it.
public struct RevokedCertificate: Sendable, Equatable, CustomStringConvertible {
    /// The serial number in hex (as `openssl x509 -serial` prints it).
    public let serial: String
    /// The subject, one line, e.g. "/CN=alice".
    public let subject: String
    public var description: String { "serial \(serial) subject \(subject)" }
}
