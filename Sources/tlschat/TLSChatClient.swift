// tlschat: the TLSChat client executable. Parses options, resolves the host,
// builds the TLS context (server verification on by default), and runs one
// `ClientDriver` on one EventLoop: interactive when stdin is a terminal,
// scripted otherwise. All chat logic lives in ChatClient; this file only
// validates options and wires things up.
import ArgumentParser
import ChatCore
import ChatClient
import ChatNet
#if canImport(Glibc)
import Glibc
#endif

@main
struct TLSChatClient: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tlschat",
        abstract: "TLSChat client: chat over chat/1, TLS-verified by default.",
        discussion: """
            Examples: tlschat 127.0.0.1:2222 --ca Certs/ca.pem --cert Certs/alice.pem --key Certs/alice.key; \
            tlschat [::1]:2222 --ca Certs/ca.pem; tlschat 127.0.0.1 --server-name localhost --ca Certs/ca.pem; \
            tlschat --print-pin chat.example:2222 then tlschat chat.example:2222 --pin sha256:... (a self-signed server).

            Interactive when stdin is a terminal (type /help); on a server that keeps history it \
            shows a room's recent messages when you join it (faded, marked ·history·) and /history \
            pages back. Otherwise scripted: each stdin line \
            (same syntax: text is said in the current room, /commands are mapped) is sent as it \
            arrives, every line from the server is printed verbatim, and BYE is sent at end of input. \
            After JOIN, PART, NICK, CAP REQ or a /raw verb tlschat does not know, the next line waits \
            for that command's reply.

            The first ERR stops the script, like `set -e`: nothing after it is sent (lines already \
            sent before the ERR arrived were carried out by the server; their replies are printed, for at most 10 s), \
            then BYE; stderr names the script line and the command. With --keep-going every line is \
            sent whatever the replies, and the status is 1 at the end if any was ERR.

            Exit status: 0 every command got OK (or you quit); 1 a command got ERR (the first error \
            is printed to stderr); 2 a script line is not a valid command; 3 could not connect, TLS \
            or certificate verification failed, or the connection dropped early; 64 bad options.
            """,
        version: TLSChatVersion.string)

    @Argument(help: ArgumentHelp("Server: HOST, HOST:PORT, [IPv6] or [IPv6]:PORT (e.g. 127.0.0.1:2222, [::1]:2222).",
                                 discussion: "HOST is checked against the server certificate unless --server-name is given.",
                                 valueName: "host[:port]"))
    var host: String = "localhost"

    @Option(help: "Server port (default 2222); the same as :PORT after HOST, and it must agree with it.")
    var port: Int?

    @Option(help: ArgumentHelp("Verify the server certificate against NAME (and send NAME as SNI) instead of HOST, e.g. connect to 127.0.0.1 and verify localhost.",
                               discussion: "A DNS name is sent as SNI; an IP address is checked against the certificate's IP addresses.",
                               valueName: "name"))
    var serverName: String?

    @Option(help: "CA certificates (PEM) to verify the server with. Default: the system CA store (with --pin and no --ca: no CA, the pin alone).")
    var ca: String?

    @Option(help: ArgumentHelp("Client certificate chain (PEM, leaf first, then any intermediates) to sign in with; needs --key.",
                               discussion: "If the server never asks for it (tlschatd without --client-ca), tlschat warns that it was not sent and you are anonymous."))
    var cert: String?

    @Option(help: "Private key (PEM) of --cert.")
    var key: String?

    @Option(name: .customLong("pin"),
            help: ArgumentHelp("Pin the server's public key: sha256: and the SHA-256 of its SubjectPublicKeyInfo, 44 base64 characters or 64 hex digits (repeat for rotation: any one match is enough).",
                               discussion: "With --ca: normal verification AND the pin. Without --ca: the pin replaces the CA (a self-signed server): the certificate need not chain to a CA or name the host, but its dates and serverAuth usage are still checked. A mismatch aborts the handshake before anything is sent and prints the expected and the received pin.",
                               valueName: "sha256:pin"))
    var pins: [String] = []

    @Flag(help: ArgumentHelp("Print the pin of the server's public key (for --pin) and exit; nothing is sent.",
                             discussion: "Give the TLS port (not with --starttls). With --ca (and --server-name) the server is verified first; without --ca the pin is of whatever answered, NOT verified (stderr says so), and --cert is refused: your certificate is never shown to an unverified server. Scripts/gen-certs pin FILE prints the pin of a certificate file."))
    var printPin = false

    @Flag(help: ArgumentHelp("Connect WITHOUT TLS, to a server's plaintext listener: nothing is encrypted or verified.",
                             discussion: "If no greeting comes within 1 s, tlschat sends blank lines (ignored by chat/1); a port that then answers with TLS or hangs up is reported as speaking TLS."))
    var plain = false

    @Flag(name: .customLong("starttls"), help: ArgumentHelp("Connect to a server's plaintext listener (give its port) and upgrade to TLS with STARTTLS before sending anything else.",
                             discussion: "The server is verified exactly as over TLS (--ca or the system store, the host name or --server-name, --cert/--key sent when asked). If the server refuses STARTTLS, sends anything after OK STARTTLS before the handshake, or the handshake fails, tlschat stops with the reason (exit 3): it never continues in plaintext. Nothing received before the upgrade is shown."))
    var startTLS = false

    @Option(help: "Name to ask for after connecting (sends NICK NAME).")
    var name: String?

    @Flag(help: ArgumentHelp("Interactive mode: when the connection is lost, connect again (1 s, doubling up to 30 s) and rejoin your rooms; on a server that keeps history, show each room's messages missed meanwhile (marked ·missed·).",
                             discussion: "Never after a certificate or TLS failure, and always with the same verification and transport: it never falls back to plaintext. Replaced by another login with your certificate, it waits 1-2 min (longer each time) and signs in again, taking the name back once if that session is still there; if the name is taken back within 10 min it stops, so two clients never take turns replacing each other (tlschatd --sessions-per-user N lets sessions coexist)."))
    var reconnect = false

    @Flag(help: ArgumentHelp("Scripted mode: after an ERR reply, carry on with the next lines (exit status 1 at the end).",
                             discussion: "Without it the first ERR stops the script (see above)."))
    var keepGoing = false

    /// Host and port from HOST[:PORT] and --port.
    private var endpoint: ServerEndpoint {
        get throws(ServerEndpoint.Problem) { try ServerEndpoint.parse(host, port: port) }
    }

    /// The --pin values, parsed.
    private var serverKeyPins: [ServerKeyPin] {
        get throws(ServerKeyPin.Problem) { try pins.map { pin throws(ServerKeyPin.Problem) in try ServerKeyPin.parse(pin) } }
    }

    func validate() throws {
        do { _ = try endpoint } catch { throw ValidationError(error.description) }
        if (cert == nil) != (key == nil) { throw ValidationError("--cert and --key go together: give both or neither") }
        if plain && startTLS {
            throw ValidationError("--plain and --starttls contradict each other: --starttls never continues in plaintext")
        }
        if plain && (cert != nil || ca != nil || serverName != nil) {
            throw ValidationError("--plain has no TLS: --ca, --cert, --key and --server-name cannot be used with it")
        }
        if plain && (!pins.isEmpty || printPin) { throw ValidationError("--plain has no TLS: --pin and --print-pin cannot be used with it") }
        if printPin && !pins.isEmpty { throw ValidationError("--print-pin prints the server's pin; it takes no --pin") }
        if printPin && startTLS {
            throw ValidationError("--print-pin speaks TLS from the first byte: give the server's TLS port, without --starttls")
        }
        if printPin && ca == nil && cert != nil {
            throw ValidationError("--print-pin without --ca does not verify the server, so it never sends a client certificate: drop --cert and --key, or give --ca")
        }
        do { _ = try serverKeyPins } catch { throw ValidationError(error.description) }
        if let serverName, serverName.isEmpty || !serverName.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0.value < 127 }) {
            throw ValidationError("--server-name must be a host name or IP address (printable ASCII, no spaces)")
        }
        if let name, name.isEmpty || name.contains(" ") || name.unicodeScalars.contains(where: Sanitizer.isForbiddenInProtocol) {
            throw ValidationError("--name must be one word without control characters")
        }
    }

    mutating func run() throws {
        let server = try endpoint
        let addresses: [SocketAddress]
        do {
            addresses = try SocketAddress.resolve(host: server.host, port: server.port)
        } catch {
            StandardStreams.diagnostic("\(error)")
            throw ExitCode(ExitStatus.connectionFailed)
        }
        let transport: ServerLink.Transport
        if plain {
            StandardStreams.diagnostic("warning: --plain: the connection is NOT encrypted and the server is NOT verified; anyone on the network path can read and change it")
            transport = .plain
        } else {
            do {
                var tls = TLSConfiguration.client(trustRoots: ca.map { .file($0) } ?? .system,
                                                  certificateChainFile: cert, privateKeyFile: key)
                tls.serverKeyPins = try serverKeyPins
                if ca == nil && (!tls.serverKeyPins.isEmpty || printPin) { tls.trustRoots = nil }  // the pin, not a CA
                tls.inspectOnly = printPin && ca == nil
                let context = try TLSContext(tls)
                if printPin {
                    let status = try PinPrinter(loop: try EventLoop()).run(addresses: addresses, context: context,
                                                                            serverName: serverName ?? server.host)
                    if status != 0 { throw ExitCode(status) }
                    return
                }
                transport = startTLS ? .startTLS(context, serverName: serverName ?? server.host)
                    : .tls(context, serverName: serverName ?? server.host)
            } catch let exit as ExitCode {
                throw exit
            } catch {
                StandardStreams.diagnostic("error: \(error)")
                throw ExitCode(64)
            }
        }
        let status = try runSession(addresses: addresses, transport: transport)
        if status != 0 { throw ExitCode(status) }
    }

    private func runSession(addresses: [SocketAddress], transport: ServerLink.Transport) throws -> Int32 {
        let loop = try EventLoop()
        let interactive = TerminalMode.standardInputIsTerminal
        if reconnect && !interactive {
            StandardStreams.diagnostic("error: --reconnect is for interactive sessions: a script cannot know whether its unanswered commands were carried out")
            return 64
        }
        let link = ServerLink(loop: loop, addresses: addresses, transport: transport)
        let driver = ClientDriver(loop: loop, link: link, interactive: interactive, nickname: name, reconnect: reconnect,
                                  keepGoing: keepGoing)
        do {
            try driver.start()
            while driver.exitStatus == nil { try loop.run() }
        } catch {
            driver.finish()
            StandardStreams.diagnostic("error: \(error)")
            return ExitStatus.connectionFailed
        }
        driver.finish()
        return driver.exitStatus ?? ExitStatus.connectionFailed
    }
}
