// ChatLimits: the documented bounds of the chat/1 service (PROTOCOL.md
// section 7). A plain value, so tests and the server can vary them.

public struct ChatLimits: Sendable {
    /// Longest line in bytes, without its terminator.
    public var maximumLineLength = 4096
    /// Longest user name in characters (anonymous names: "~" plus one less).
    public var maximumNameLength = 32
    /// Longest room name in characters after the "#".
    public var maximumRoomNameLength = 32
    /// Rooms one client may be in at once.
    public var maximumRoomsPerClient = 16
    /// Items listed in one WHO or ROOMS reply; the rest are counted as "+N".
    public var maximumListedItems = 100
    /// Rooms on the server at once; JOIN of a new room beyond it is refused.
    public var maximumRooms = 1000
    /// Connections one certificate user may hold at once; at 1 a new login replaces the old.
    public var sessionsPerUser = 1
    /// The per-client command rate the server layer enforces (a burst, then a steady
    /// rate): the core only advertises it (`CAP LS`).
    public var commandBurst = 40
    public var commandsPerSecond = 20.0
    /// Rooms (lower case, e.g. "#ops") that admit certificate users only whenever they
    /// exist, set by the operator (tlschatd --cert-only-room); never the starting room.
    public var certificateOnlyRooms: Set<String> = []

    public init() {}
}
