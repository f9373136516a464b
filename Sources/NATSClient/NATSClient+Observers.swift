// NATSClient+Observers: more than one receiver of the client's events. The
// owner keeps `onEvent`; layers that share the client (a JetStream feed that
// must notice a reconnect, a store that fails its waiting calls on close) add
// an observer and remove it when they stop. Observers run on the loop thread,
// after `onEvent`, in the order they were added. Nothing here changes what
// the client does.

extension NATSClient {
    /// Adds `handler` for every later event; returns a token for `removeObserver`.
    @discardableResult
    public func addObserver(_ handler: @escaping (NATSClientEvent) -> Void) -> UInt64 {
        let token = nextObserverToken
        nextObserverToken += 1
        observers.append((token, handler))
        return token
    }

    /// Removes the observer added with `token` (no effect if already removed).
    public func removeObserver(_ token: UInt64) {
        observers.removeAll { $0.token == token }
    }
}
