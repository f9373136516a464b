// ClusterOptions: tlschatd's --cluster flags (README "Running a cluster"),
// turned into ChatServerKit's ClusterConfiguration. Without --cluster the
// server is a single node and none of the others may be given.
import ArgumentParser
import ChatServerKit

struct ClusterOptions: ParsableArguments {
    @Option(name: .customLong("cluster"), help: ArgumentHelp(
        "Join a cluster of tlschatd nodes through this NATS server (nats://HOST:PORT or tls://HOST:PORT; repeatable seed URLs).",
        discussion: "Rooms, names and history are then shared by every node of the cluster; history lives in NATS JetStream, not in --history."))
    var urls: [String] = []

    @Option(name: .customLong("cluster-name"), help: "The cluster's name (1-32 of a-z 0-9 _ -): its subjects, history stream and names bucket. Nodes with the same name form one cluster.")
    var name = "main"

    @Option(name: .customLong("cluster-replicas"), help: "JetStream replicas of the history and of the names bucket (1-5; 3 survives the loss of one NATS server).")
    var replicas = 1

    @Option(name: .customLong("cluster-heartbeat"), help: "Seconds between this node's heartbeats.")
    var heartbeat = 1

    @Option(name: .customLong("cluster-dead-after"), help: "Seconds of silence after which another node counts as gone (its users leave everywhere).")
    var deadAfter = 5

    @Option(name: .customLong("cluster-user"), help: "NATS user name (with --cluster-password-file).")
    var user: String?

    @Option(name: .customLong("cluster-password-file"), help: "File whose first line is the NATS password.")
    var passwordFile: String?

    @Option(name: .customLong("cluster-token-file"), help: "File whose first line is the NATS token.")
    var tokenFile: String?

    @Option(name: .customLong("cluster-nkey-file"), help: "File whose first line is the NATS nkey seed (SU...).")
    var nkeyFile: String?

    @Option(name: .customLong("cluster-creds"), help: ArgumentHelp(
        "NATS credentials file (.creds, as nsc writes it: a user JWT and that user's nkey seed) for a NATS server in operator (JWT) mode.",
        discussion: "Read once at start; protect it like a private key. Not with the other --cluster credential options."))
    var credentialsFile: String?

    @Option(name: .customLong("cluster-tls-ca"), help: "CA (PEM) that signed the NATS servers' certificates (TLS to NATS; default: the system's CAs).")
    var tlsCA: String?

    @Option(name: .customLong("cluster-tls-cert"), help: "Client certificate (PEM) to present to NATS (with --cluster-tls-key).")
    var tlsCert: String?

    @Option(name: .customLong("cluster-tls-key"), help: "Private key of --cluster-tls-cert.")
    var tlsKey: String?

    /// nil without --cluster.
    var configuration: ClusterConfiguration? {
        guard !urls.isEmpty else { return nil }
        var configuration = ClusterConfiguration(urls: urls)
        configuration.name = name
        configuration.replicas = replicas
        configuration.heartbeatSeconds = heartbeat
        configuration.deadAfterSeconds = deadAfter
        configuration.user = user
        configuration.passwordFile = passwordFile
        configuration.tokenFile = tokenFile
        configuration.nkeySeedFile = nkeyFile
        configuration.credentialsFile = credentialsFile
        configuration.tlsCA = tlsCA
        configuration.tlsCertificate = tlsCert
        configuration.tlsKey = tlsKey
        return configuration
    }

    func validate() throws {
        let given = [user, passwordFile, tokenFile, nkeyFile, credentialsFile, tlsCA, tlsCert, tlsKey].contains { $0 != nil }
        if urls.isEmpty && given { throw ValidationError("the --cluster-* options need --cluster URL") }
    }
}
