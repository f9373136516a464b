// NATSServerInfo: the fields of the server's INFO line that this client uses
// (identity, limits, what the server requires, and the other servers of its
// cluster). Decoded from the INFO JSON; unknown fields are ignored. It does not
// act on them; NATSClient does.
import Foundation

public struct NATSServerInfo: Decodable, Sendable, Equatable {
    public var serverID: String
    public var serverName: String?
    public var version: String?
    /// Largest payload (headers included) the server accepts in one message.
    public var maximumPayload: Int
    public var headers: Bool
    public var authRequired: Bool
    public var tlsRequired: Bool
    public var tlsAvailable: Bool
    /// Other servers of the cluster clients may use ("host:port"), as the server advertises them.
    public var connectURLs: [String]
    public var jetStream: Bool
    /// The challenge an nkey client signs.
    public var nonce: String?
    /// Set when the server sends an INFO announcing that it is shutting down (lame duck mode).
    public var lameDuckMode: Bool

    enum CodingKeys: String, CodingKey {
        case serverID = "server_id", serverName = "server_name", version
        case maximumPayload = "max_payload", headers
        case authRequired = "auth_required", tlsRequired = "tls_required", tlsAvailable = "tls_available"
        case connectURLs = "connect_urls", jetStream = "jetstream", lameDuckMode = "ldm", nonce
    }

    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        serverID = try values.decodeIfPresent(String.self, forKey: .serverID) ?? ""
        serverName = try values.decodeIfPresent(String.self, forKey: .serverName)
        version = try values.decodeIfPresent(String.self, forKey: .version)
        maximumPayload = try values.decodeIfPresent(Int.self, forKey: .maximumPayload) ?? 1024 * 1024
        headers = try values.decodeIfPresent(Bool.self, forKey: .headers) ?? false
        authRequired = try values.decodeIfPresent(Bool.self, forKey: .authRequired) ?? false
        tlsRequired = try values.decodeIfPresent(Bool.self, forKey: .tlsRequired) ?? false
        tlsAvailable = try values.decodeIfPresent(Bool.self, forKey: .tlsAvailable) ?? false
        connectURLs = try values.decodeIfPresent([String].self, forKey: .connectURLs) ?? []
        jetStream = try values.decodeIfPresent(Bool.self, forKey: .jetStream) ?? false
        lameDuckMode = try values.decodeIfPresent(Bool.self, forKey: .lameDuckMode) ?? false
        nonce = try values.decodeIfPresent(String.self, forKey: .nonce)
    }

    /// Decodes the JSON after "INFO ".
    static func decode(_ json: ArraySlice<UInt8>) throws(NATSProtocolError) -> NATSServerInfo {
        do {
            return try JSONDecoder().decode(NATSServerInfo.self, from: Data(json))
        } catch {
            throw .malformedInfo("INFO is not valid JSON: \(error)")
        }
    }
}
