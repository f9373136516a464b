// TLSContext+ClientAuthorities: the reload rule for the client-CA file
// (tlschatd --client-ca). A reload may ADD CA certificates (a CA rollover:
// the new CA next to the old one) but never drop or swap one: that would
// silently change whose client certificates are trusted, so it takes a
// restart. The added CAs' subjects are returned for the log. It compares the
// CA certificates of the two verify stores, whole certificates, nothing else.
#if canImport(Glibc)
import Glibc
#endif
internal import CTLSShim

extension TLSContext {
    /// The subjects of the CA certificates this context trusts and `previous` did not; throws
    /// when a CA `previous` trusts is missing here.
    public func checkClientAuthorities(replacing previous: TLSContext) throws(TLSError) -> [String] {
        guard case .file(let caFile)? = configuration.trustRoots,
              let store = SSL_CTX_get_cert_store(context), let previousStore = SSL_CTX_get_cert_store(previous.context)
        else { return [] }
        let now = Self.certificates(in: store), before = Self.certificates(in: previousStore)
        let missing = before.filter { old in !now.contains { X509_cmp($0, old) == 0 } }
        if !missing.isEmpty {
            let names = missing.map { Self.nameLine(X509_get_subject_name($0)) }.joined(separator: ", ")
            throw TLSError(operation: "checking client CA file \(caFile)", reasons: [
                "it no longer holds CA \(names) trusted now: a reload may only add client CAs; restart tlschatd to remove or replace one"])
        }
        return now.filter { new in !before.contains { X509_cmp($0, new) == 0 } }
            .map { Self.nameLine(X509_get_subject_name($0)) }
    }
}
