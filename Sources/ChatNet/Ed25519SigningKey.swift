// Ed25519SigningKey: an Ed25519 private key made from its 32-byte seed, with
// its raw public key and deterministic signatures (RFC 8032), through
// OpenSSL's EVP interface. For protocols that authenticate by signing a
// challenge (NATS nkeys). It does not read key files, encode keys as text or
// verify signatures; every OpenSSL failure is a `TLSError` with the queue drained.
internal import CTLSShim

public final class Ed25519SigningKey {
    private let key: OpaquePointer

    /// The key whose seed (RFC 8032 private key) is `seed`, exactly 32 bytes.
    public init(seed: [UInt8]) throws(TLSError) {
        guard seed.count == 32 else {
            throw TLSError(operation: "loading an Ed25519 key", reasons: ["the seed has \(seed.count) bytes, not 32"])
        }
        TLSError.clearQueue()
        guard let key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, seed, 32) else {
            throw TLSError.drain("loading an Ed25519 key")
        }
        self.key = key
    }

    deinit { EVP_PKEY_free(key) }

    /// The 32-byte public key.
    public var publicKey: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 32)
        var length = 32
        TLSError.clearQueue()
        guard EVP_PKEY_get_raw_public_key(key, &bytes, &length) == 1, length == 32 else {
            TLSError.clearQueue()
            return []
        }
        return bytes
    }

    /// The 64-byte signature of `message`.
    public func sign(_ message: [UInt8]) throws(TLSError) -> [UInt8] {
        TLSError.clearQueue()
        guard let context = EVP_MD_CTX_new() else { throw TLSError.drain("creating a signing context") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, nil, nil, key) == 1 else {
            throw TLSError.drain("starting an Ed25519 signature")
        }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = signature.count
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1, length == 64 else {
            throw TLSError.drain("signing with Ed25519")
        }
        return signature
    }
}
