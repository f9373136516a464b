// PinPrinter: `tlschat --print-pin HOST:PORT`: connects, completes the TLS
// handshake, prints the pin of the server's public key (`sha256:` + base64 of
// the SHA-256 of its SubjectPublicKeyInfo, the form --pin takes) on stdout,
// and closes without sending a single byte of chat/1.
//
// With --ca the server is verified exactly as for a chat session (and stderr
// says so); without it the pin is of whatever the server presented, and stderr
// says clearly that it was NOT verified (the context is inspect-only: its
// connection refuses to carry data, and it holds no client certificate). It
// speaks TLS from the first byte (tlschat refuses it with --starttls). Tries
// the resolved addresses in order
// until one answers. It holds no logic beyond that: the digest is ChatNet's,
// the words for a failure are DisconnectExplainer's.
import ChatClient
import ChatNet

final class PinPrinter: ConnectionDelegate {
    private let loop: EventLoop
    private var connection: TLSConnection?
    private enum Outcome { case pin(ServerKeyPin), failed(DisconnectCause) }
    private var outcome: Outcome?

    init(loop: EventLoop) { self.loop = loop }

    /// Prints the pin of the first address that completes a handshake; returns the exit status.
    func run(addresses: [SocketAddress], context: TLSContext, serverName: String) throws -> Int32 {
        var failures: [String] = []
        for address in addresses {
            outcome = nil
            do {
                let next = try TLSConnection.connect(to: address, serverName: serverName, loop: loop, context: context)
                next.delegate = self
                connection = next
                try next.start()
            } catch {
                failures.append("\(address): \(error)")
                continue
            }
            _ = try loop.run(for: .seconds(30)) { outcome != nil }
            switch outcome {
            case .pin(let pin):
                StandardStreams.output(pin.spelled(.base64) + "\n")
                if context.configuration.inspectOnly {
                    StandardStreams.diagnostic("warning: the server at \(address) was NOT verified (no --ca): this is the pin of whatever answered there; compare it with the one its operator gives you (Scripts/gen-certs pin) before you trust it")
                } else {
                    StandardStreams.diagnostic("the server at \(address) was verified for \(serverName) against --ca")
                }
                connection?.close(.graceful)
                _ = try loop.run(for: .seconds(2)) { connection?.state == .closed }
                return ExitStatus.success
            case .failed(.connectFailed(let text)):
                failures.append("\(address): \(text)")
            case .failed(let cause):
                StandardStreams.diagnostic(DisconnectExplainer.explain(cause))
                return ExitStatus.connectionFailed
            case nil:
                connection?.close(.immediate)
                StandardStreams.diagnostic("\(address): no TLS handshake within 30 s")
                return ExitStatus.connectionFailed
            }
        }
        StandardStreams.diagnostic("cannot connect: " + failures.joined(separator: "; "))
        return ExitStatus.connectionFailed
    }

    func connectionDidOpen(_ connection: any Connection) {
        guard connection === self.connection else { return }
        if let pin = self.connection?.serverKeyPin {
            outcome = .pin(pin)
        } else {
            outcome = .failed(.other("the server's public key could not be read"))
        }
    }

    func connection(_ connection: any Connection, didReceive bytes: UnsafeRawBufferPointer) {}

    func connection(_ connection: any Connection, didCloseWith reason: CloseReason) {
        guard connection === self.connection, outcome == nil else { return }
        outcome = .failed(ServerLink.cause(of: reason))
    }
}
