// StreamConnection+RelayedPeer: lets the server replace the address a
// connection reports as its peer with the client address a trusted load
// balancer relayed in a PROXY header (ProxyHeaderReader), so logs and
// per-address rules see the client, not the balancer. It does not check that
// the balancer is trusted; ChatServer does before calling it.
extension StreamConnection {
    /// Reports `address` as `remoteAddress` from now on (call before `start()`).
    public func useRelayedPeerAddress(_ address: SocketAddress) {
        remoteAddress = address
    }
}
