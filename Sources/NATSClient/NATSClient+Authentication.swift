// NATSClient+Authentication: the proof of identity that goes into CONNECT
// when the options hold a key: an nkey seed (CONNECT nkey and the signed
// nonce) or a user JWT with its seed from a .creds file (CONNECT jwt and the
// signed nonce; the server learns the user's key from the JWT). It also words
// the reason of a refused user JWT. User/password and token need no work and
// are set by sendConnect; this file does not send anything itself.
import Foundation

extension NATSClient {
    enum CredentialsOutcome: Equatable {
        /// The fields carry what the options ask for (or nothing was asked).
        case ready
        /// This server cannot take these credentials: the attempt fails, another may succeed.
        case refusedByServer(String)
        /// The credentials themselves are unusable: retrying cannot help.
        case unusable(String)
    }

    /// Adds the nkey or user JWT and the nonce signature to `fields`.
    func addKeyCredentials(to fields: inout NATSConnectFields) -> CredentialsOutcome {
        if let credentials = options.userCredentials {
            guard options.nkeySeed == nil else {
                return .unusable("NATS credentials: give either an nkey seed or user credentials (.creds), not both")
            }
            // Without a nonce the server is not set up for JWTs (no operator and resolver);
            // a JWT sent anyway would be refused, or worse, go to a server that ignores it.
            guard let nonce = serverInfo?.nonce, !nonce.isEmpty else {
                return .refusedByServer("the server sent no nonce in INFO, so it cannot check a user JWT "
                    + "(the .creds credentials need a server in operator mode: operator and resolver in its configuration)")
            }
            do {
                let key = try nkey ?? NATSNKey(seed: credentials.seed)
                nkey = key
                fields.jwt = credentials.jwt
                fields.signature = try key.signNonce(nonce)
            } catch {
                return .unusable("\(error)")
            }
            return .ready
        }
        if let seed = options.nkeySeed {
            do {
                let key = try nkey ?? NATSNKey(seed: seed)
                nkey = key
                fields.nkey = key.publicKey
                if let nonce = serverInfo?.nonce { fields.signature = try key.signNonce(nonce) }
            } catch {
                return .unusable("\(error)")
            }
        }
        return .ready
    }

    /// What to add to the close reason of a server error: for a refused user JWT, the likely causes
    /// (nats-server only says "Authorization Violation"; its log says which).
    func authorizationExplanation(for serverError: String) -> String {
        guard let credentials = options.userCredentials,
              serverError.lowercased().contains("authorization violation") else { return "" }
        return " (the server refused the user JWT of \(credentials): its account may not be one the server "
            + "trusts (signed by another operator or account key), or it expired or was revoked; the NATS server's log says which)"
    }
}
