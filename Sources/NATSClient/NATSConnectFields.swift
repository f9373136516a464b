// NATSConnectFields: the JSON body of the CONNECT command this client sends:
// verbose and pedantic off, headers and no_responders on, protocol 1 (so the
// server sends INFO updates with connect_urls), the connection name and the
// credentials (user/password, token, an nkey with its nonce signature, or a
// user JWT with its nonce signature). Only encodes; the client decides the values.
import Foundation

struct NATSConnectFields: Encodable {
    let verbose = false
    let pedantic = false
    let headers = true
    let noResponders = true
    let `protocol` = 1
    let lang = "swift"
    let version = "1.0"
    var name: String
    var user: String?
    var password: String?
    var token: String?
    var tlsRequired: Bool
    var echo: Bool
    /// A user nkey's public key and its signature of the server's nonce.
    var nkey: String?
    var signature: String?
    /// A user JWT (from a .creds file); `signature` then signs the nonce with the JWT user's seed.
    var jwt: String?

    enum CodingKeys: String, CodingKey {
        case verbose, pedantic, headers, noResponders = "no_responders", `protocol`, lang, version, name
        case user, password = "pass", token = "auth_token", tlsRequired = "tls_required", echo, nkey, signature = "sig", jwt
    }

    init(name: String, user: String?, password: String?, token: String?, tlsRequired: Bool, echo: Bool) {
        self.name = name
        self.user = user
        self.password = password
        self.token = token
        self.tlsRequired = tlsRequired
        self.echo = echo
    }

    func json() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(self)) ?? Data("{}".utf8))
    }
}
