// FakeNATSServer: a small scripted TCP listener on 127.0.0.1 (port 0) in the
// test's own EventLoop, for behaviour a real nats-server never shows: garbage,
// oversize lines, a message cut off by a close, unanswered PINGs, a scripted
// -ERR. It greets each connection with an INFO line and hands the accumulated
// input of that connection to the test's script, which writes or closes.
import ChatNet
import Foundation

final class FakeNATSServer: ConnectionDelegate {
    private var listener: Listener?
    private var inputs: [ObjectIdentifier: String] = [:]
    private(set) var connections: [PlainConnection] = []
    let info: String
    /// Called after each read with the connection and all it sent so far.
    var script: (PlainConnection, String) -> Void

    init(loop: EventLoop, info: String = #"INFO {"server_id":"FAKE","max_payload":1048576,"headers":true}"# + "\r\n",
         script: @escaping (PlainConnection, String) -> Void) throws {
        self.info = info
        self.script = script
        guard let address = try SocketAddress.resolve("127.0.0.1:0").first else { throw NATSServerProcessError("no address") }
        listener = try Listener(loop: loop, address: address) { [unowned self] socket in
            let connection = PlainConnection(accepted: socket, loop: loop)
            connection.delegate = self
            connections.append(connection)
            try? connection.start()
        }
    }

    var url: String { "nats://127.0.0.1:\(listener?.localAddress.port ?? 0)" }

    func connectionDidOpen(_ connection: any Connection) {
        connection.write(info)
    }

    func connection(_ connection: any Connection, didReceive bytes: UnsafeRawBufferPointer) {
        let key = ObjectIdentifier(connection)
        inputs[key, default: ""] += String(decoding: bytes, as: UTF8.self)
        script(connection as! PlainConnection, inputs[key] ?? "")
    }

    func connection(_ connection: any Connection, didCloseWith reason: CloseReason) {}

    func close() {
        listener?.close()
        listener = nil
        for connection in connections { connection.close(.immediate) }
    }

    deinit { listener?.close() }
}
