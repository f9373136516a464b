// TLSContext+HandshakeCost: what a full TLS handshake costs the server inside
// OpenSSL alone, with this context's exact settings: handshakes run entirely
// in memory (a BIO pair between a server and a client session, no sockets, no
// kernel, no event loop), and only the server side's calls are timed, in
// thread CPU time. It is the floor under tlschatd's handshakes per
// CPU-second: no server on this OpenSSL and these settings can do better.
// A diagnostic for tlschat-bench; the server never calls it.
#if canImport(Glibc)
import Glibc
#endif
internal import CTLSShim

extension TLSContext {
    /// Runs `count` full handshakes between a session of this (server) context and
    /// one of `client`; returns the server side's mean CPU seconds per handshake.
    public func measureServerHandshakeCost(against client: TLSContext, serverName: String, count: Int) throws(TLSError) -> Double {
        precondition(configuration.role == .server && client.configuration.role == .client && count > 0)
        _ = try oneInMemoryHandshake(client: client, serverName: serverName)  // first use initialises OpenSSL tables
        var total = 0.0
        for _ in 0..<count { total += try oneInMemoryHandshake(client: client, serverName: serverName) }
        return total / Double(count)
    }

    private func oneInMemoryHandshake(client: TLSContext, serverName: String) throws(TLSError) -> Double {
        var spent = 0.0
        var started = Self.threadCPUTime()
        guard let server = SSL_new(context) else { throw TLSError.drain("creating server session") }
        spent += Self.threadCPUTime() - started
        guard let peer = SSL_new(client.context) else { SSL_free(server); throw TLSError.drain("creating client session") }
        defer { SSL_free(peer) }
        var serverEnd: OpaquePointer?, clientEnd: OpaquePointer?
        guard BIO_new_bio_pair(&serverEnd, 0, &clientEnd, 0) == 1 else { SSL_free(server); throw TLSError.drain("creating a BIO pair") }
        SSL_set_bio(server, serverEnd, serverEnd)
        SSL_set_bio(peer, clientEnd, clientEnd)
        SSL_set_accept_state(server)
        SSL_set_connect_state(peer)
        _ = CTLSShim_SSL_set_tlsext_host_name(peer, serverName)
        _ = SSL_set1_host(peer, serverName)
        var serverDone = false, clientDone = false
        for _ in 0..<20 where !(serverDone && clientDone) {
            if !clientDone { clientDone = SSL_do_handshake(peer) == 1 }
            if !serverDone {
                started = Self.threadCPUTime()
                serverDone = SSL_do_handshake(server) == 1
                spent += Self.threadCPUTime() - started
            }
        }
        started = Self.threadCPUTime()
        SSL_free(server)
        spent += Self.threadCPUTime() - started
        guard serverDone && clientDone else { throw TLSError.drain("in-memory handshake") }
        return spent
    }

    private static func threadCPUTime() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
