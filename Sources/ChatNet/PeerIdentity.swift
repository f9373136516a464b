// PeerIdentity: what a verified peer certificate says about its owner, as
// plain Swift values for the layers above (no OpenSSL types escape).
//
// `PeerIdentity.extract` reads the subject CN, the subject alternative names,
// the SHA-256 fingerprint and the end of validity (notAfter) from a
// certificate OpenSSL has already verified. It does not verify anything
// itself and does not decide what name a chat user gets or whether an expiry
// is near; those are rules of the chat core.
#if canImport(Glibc)
import Glibc
#endif
internal import CTLSShim

public struct PeerIdentity: Sendable, Equatable, CustomStringConvertible {
    /// The subject's commonName as UTF-8; nil when the subject has none or
    /// more than one (then no single name can be trusted: implementations
    /// that pick the first and the last CN would disagree).
    public let commonName: String?
    /// SAN entries as "DNS:name", "IP:addr", "email:x", "URI:x".
    public let subjectAlternativeNames: [String]
    /// SHA-256 of the DER certificate, lowercase hex pairs joined by ':'.
    public let fingerprintSHA256: String
    /// The full subject, one line, e.g. "/CN=alice".
    public let subject: String
    /// The end of the certificate's validity (notAfter), in seconds since 1970-01-01 UTC;
    /// nil if it could not be read.
    public let notAfter: Int64?

    public init(commonName: String?, subjectAlternativeNames: [String], fingerprintSHA256: String, subject: String,
                notAfter: Int64? = nil) {
        self.commonName = commonName
        self.subjectAlternativeNames = subjectAlternativeNames
        self.fingerprintSHA256 = fingerprintSHA256
        self.subject = subject
        self.notAfter = notAfter
    }

    public var description: String {
        "subject \(subject), SHA-256 \(fingerprintSHA256)"
    }

    /// Reads the identity of the certificate `certificate` (an `X509 *`).
    static func extract(from certificate: OpaquePointer) -> PeerIdentity {
        PeerIdentity(
            commonName: commonName(of: certificate),
            subjectAlternativeNames: alternativeNames(of: certificate),
            fingerprintSHA256: fingerprint(of: certificate),
            subject: subjectLine(of: certificate),
            notAfter: notAfter(of: certificate))
    }

    static func notAfter(of certificate: OpaquePointer) -> Int64? {
        guard let time = X509_get0_notAfter(certificate) else { return nil }
        var parts = tm()
        TLSError.clearQueue()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else {
            TLSError.clearQueue()
            return nil
        }
        return Int64(timegm(&parts))
    }

    private static func commonName(of certificate: OpaquePointer) -> String? {
        guard let name = X509_get_subject_name(certificate) else { return nil }
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, X509_NAME_get_index_by_NID(name, NID_commonName, index) < 0, let entry = X509_NAME_get_entry(name, index),
              let data = X509_NAME_ENTRY_get_data(entry) else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        guard length >= 0, let utf8 else { return nil }
        defer { CTLSShim_OPENSSL_free(utf8) }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }

    private static func subjectLine(of certificate: OpaquePointer) -> String {
        guard let name = X509_get_subject_name(certificate), let line = X509_NAME_oneline(name, nil, 0) else { return "" }
        defer { CTLSShim_OPENSSL_free(line) }
        return String(cString: line)
    }

    private static func fingerprint(of certificate: OpaquePointer) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(certificate, EVP_sha256(), &digest, &length) == 1 else { return "" }
        return digest.prefix(Int(length)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    private static func alternativeNames(of certificate: OpaquePointer) -> [String] {
        guard let raw = X509_get_ext_d2i(certificate, NID_subject_alt_name, nil, nil) else { return [] }
        let names = OpaquePointer(raw)
        defer { GENERAL_NAMES_free(names) }
        var result: [String] = []
        for index in 0..<CTLSShim_sk_GENERAL_NAME_num(names) {
            guard let entry = CTLSShim_sk_GENERAL_NAME_value(names, index) else { continue }
            switch entry.pointee.type {
            case GEN_DNS: result.append("DNS:" + text(entry.pointee.d.dNSName))
            case GEN_EMAIL: result.append("email:" + text(entry.pointee.d.rfc822Name))
            case GEN_URI: result.append("URI:" + text(entry.pointee.d.uniformResourceIdentifier))
            case GEN_IPADD: result.append("IP:" + ipText(entry.pointee.d.iPAddress))
            default: continue
            }
        }
        return result
    }

    private static func text(_ string: UnsafeMutablePointer<ASN1_STRING>?) -> String {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string))), as: UTF8.self)
    }

    private static func ipText(_ string: UnsafeMutablePointer<ASN1_STRING>?) -> String {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return "" }
        let length = Int(ASN1_STRING_length(string))
        guard length == 4 || length == 16 else { return "?" }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        guard inet_ntop(length == 4 ? AF_INET : AF_INET6, data, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
