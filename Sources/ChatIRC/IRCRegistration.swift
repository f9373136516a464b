// IRCRegistration: where an IRC connection is in its registration (RFC 2812
// section 3.1 with IRCv3 CAP 302 and SASL 3.1): the nick and user it gave,
// whether CAP negotiation holds registration open, and the SASL exchange.
// Plain data; IRCSession+Registration applies the rules.

struct IRCRegistration {
    /// The nick as the client sent it (NICK), already checked for an anonymous user.
    var nick: String?
    /// The chat/1 name that nick stands for (anonymous users only).
    var anonymousName: String?
    /// In cluster mode a name is claimed only by a live session: the nick asked for during
    /// registration is requested with NICK right after it (see IRCSession+Registration).
    var nickAfterRegistration: String?
    var user: String?
    var realName = ""
    /// CAP LS or CAP REQ was sent and CAP END not yet: registration waits (CAP 302).
    var negotiating = false
    /// AUTHENTICATE EXTERNAL was sent; the next AUTHENTICATE carries the response.
    var awaitingSASLResponse = false
    /// Bytes of SASL response chunks received so far (bounded).
    var saslResponse = ""

    var isComplete: Bool { nick != nil && user != nil && !negotiating }
}
