// ClusterCredentialsCheck: the NATS credentials of a cluster configuration
// as `tlschatd check` reports them: every credential file is read as the
// node would read it at start, a seed is parsed (an nkey seed is otherwise
// only parsed at the first CONNECT), and a .creds file is checked whole
// (NATSUserCredentials; an expired user JWT fails, with its date). The
// report says which kind of credentials the node would present, and for a
// key only its public half; it never prints a secret, and it connects to
// nothing.
import ChatCore
import NATSClient

enum ClusterCredentialsCheck {
    struct Problem: Error {
        let message: String
    }

    /// "cluster credentials: ..." for what the node would present, or what is wrong with it.
    static func run(_ cluster: ClusterConfiguration) -> Result<String, Problem> {
        let options: NATSClientOptions
        do {
            options = try cluster.clientOptions(nodeID: "check")
        } catch {
            return .failure(Problem(message: "cluster credentials: \(error)"))
        }
        if let credentials = options.userCredentials {
            let expiry = credentials.expires.map { ", expires \(CertificateExpiryNotice.dateText($0))" } ?? ", never expires"
            return .success("cluster credentials: a user JWT for \(credentials.userPublicKey) from \(cluster.credentialsFile ?? "?")\(expiry)")
        }
        if let seed = options.nkeySeed {
            do {
                let key = try NATSNKey(seed: seed)
                return .success("cluster credentials: the nkey \(key.publicKey) from \(cluster.nkeySeedFile ?? "?")")
            } catch {
                return .failure(Problem(message: "cluster credentials: \(cluster.nkeySeedFile ?? "the nkey seed file"): \(error)"))
            }
        }
        if options.token != nil { return .success("cluster credentials: a token from \(cluster.tokenFile ?? "?")") }
        if let user = options.user, options.password != nil {
            return .success("cluster credentials: user \(user) with a password from \(cluster.passwordFile ?? "?")")
        }
        return .success(cluster.hasCredentials ? "cluster credentials: in the NATS URLs (not shown)" : "cluster credentials: none given")
    }
}
