# checks_commands: PROTOCOL.md sections 4, 5 and 6 with several connections:
# each command's reply and error codes, rooms (JOIN/PART/current room, lower
# case, existence), the events other members see (MSG, PRIV, JOINED, PARTED,
# RENAMED) and which they must not see, SAY/MSG counts and texts (spaces kept,
# spaces-only refused), BYE. Identity and trust rules are in checks_identity,
# limits in checks_limits, capabilities in checks_extensions.
from .report import Skip, expect
from .wire import fresh_room, join_fresh


def simple_errors(t):
    with t.connect() as p:
        cases = [("ROOMS x", "ERR BAD_ARGUMENTS"), ("WHOAMI x", "ERR BAD_ARGUMENTS"), ("PING a b", "ERR BAD_ARGUMENTS"),
                 ("BYE now", "ERR BAD_ARGUMENTS"), ("JOIN", "ERR BAD_ARGUMENTS"), ("JOIN lobby", "ERR BAD_ARGUMENTS"),
                 ("JOIN #a b", "ERR BAD_ARGUMENTS"), ("JOIN #" + "a" * 33, "ERR BAD_ARGUMENTS"), ("JOIN #a!", "ERR BAD_ARGUMENTS"),
                 ("PART #a #b", "ERR BAD_ARGUMENTS"), ("WHO #a #b", "ERR BAD_ARGUMENTS"), ("SAY", "ERR BAD_ARGUMENTS"),
                 ("MSG", "ERR BAD_ARGUMENTS"), ("MSG x", "ERR BAD_ARGUMENTS"), ("NICK", "ERR BAD_ARGUMENTS"),
                 ("CAP FROB", "ERR BAD_ARGUMENTS"), ("CAP REQ no-such-capability-x", "ERR BAD_ARGUMENTS"),
                 ("PING", "OK PING"), ("WHO " + fresh_room("none"), "ERR NO_SUCH_ROOM"),
                 ("PART " + fresh_room("none"), "ERR NOT_IN_ROOM"), ("MSG " + fresh_room("none") + " hi", "ERR NO_SUCH_ROOM"),
                 ("MSG nobody-ck-x9 hi", "ERR NO_SUCH_USER")]
        for line, wanted in cases:
            reply = p.command(line)
            expect(reply == wanted or reply.startswith(wanted + " "), f"{line!r} got {reply!r}, want {wanted}")


def help_lists_verbs(t):
    with t.connect() as p:
        reply = p.command("HELP")
        words = set(reply.split(" ")[2:])
        missing = {"NICK", "JOIN", "PART", "SAY", "MSG", "ROOMS", "WHO", "WHOAMI", "PING", "HELP", "BYE"} - words
        expect(reply.startswith("OK HELP ") and not missing, f"HELP {reply!r} lacks {missing}")


def join_part_current(t):
    with t.connect() as p:
        upper = fresh_room("J").replace("ck-j", "CK-J")
        room = upper.lower()
        expect(p.command(f"JOIN {upper}") == f"OK JOIN {room} 1", "JOIN reports the lower-case room and 1 member")
        second = join_fresh(p, "j2")
        expect(p.command(f"JOIN {room}") == f"OK JOIN {room} 1", "JOIN of a room you are in just makes it current")
        expect(p.command("WHOAMI").endswith(" " + room), "WHOAMI shows the current room")
        expect(p.command("PART") == f"OK PART {room}", "PART without a room parts the current one")
        expect(p.command("WHOAMI").endswith(" " + second), "after PART, the most recently joined room is current")
        expect(p.command(f"PART {room}").startswith("ERR NOT_IN_ROOM"), "PART of a room you left: NOT_IN_ROOM")
        p.command(f"PART {second}")
        expect(p.command(f"WHO {second}").startswith("ERR NO_SUCH_ROOM"), "an empty room must stop existing")


def no_current_room(t):
    with t.connect() as p:
        while True:  # leave every room, the starting one included
            reply = p.command("PART")
            if not reply.startswith("OK PART"):
                break
        expect(reply.startswith("ERR NO_CURRENT_ROOM"), f"PART with no room got {reply!r}")
        for line in ("SAY hi", "WHO"):
            reply = p.command(line)
            expect(reply.startswith("ERR NO_CURRENT_ROOM"), f"{line} with no room got {reply!r}")
        expect(p.command("WHOAMI").endswith(" -"), "WHOAMI room is - when in no room")


def room_events(t):
    with t.connect(t.user(0)) as a, t.connect(t.user(1)) as b:
        room = join_fresh(a, "ev")
        expect(b.command(f"JOIN {room}") == f"OK JOIN {room} 2", "second member count")
        a.event(lambda e: e == f"JOINED {room} {b.name} {b.trust}")
        expect(a.command("SAY  two  spaces ") == f"OK SAY {room} sent 1/1", "SAY reply with counts")
        got = b.event(lambda e: e.startswith(f"MSG {room} "))
        expect(got == f"MSG {room} {a.name} {a.trust}  two  spaces ", f"text must keep its spaces: {got!r}")
        expect(not [e for e in a.quiet(0.2) if e.startswith("MSG ")], "the sender must not receive its own message")
        expect(b.command(f"MSG {room} via msg") == f"OK MSG {room} sent 1/1", "MSG to a room")
        a.event(lambda e: e == f"MSG {room} {b.name} {b.trust} via msg")
        expect(b.command(f"MSG {a.name} private") == f"OK MSG {a.name} sent 1/1", "MSG to a user")
        a.event(lambda e: e == f"PRIV {b.name} {b.trust} private")
        reply = a.command(f"WHO {room}")
        expected = sorted([f"{a.name}:{a.trust}", f"{b.name}:{b.trust}"], key=lambda s: (s.lower(), s))
        expect(reply == f"OK WHO {room} 2 " + " ".join(expected), f"WHO got {reply!r}")
        expect(b.command("PART") == f"OK PART {room}", "PART")
        a.event(lambda e: e == f"PARTED {room} {b.name} {b.trust} part")
        b.command(f"JOIN {room}")
        b.close()
        a.event(lambda e: e == f"PARTED {room} {b.name} {b.trust} quit")


def msg_to_self(t):
    with t.connect() as p:
        p.send(f"MSG {p.name} note")
        first = p.read_line()
        expect(first == f"PRIV {p.name} {p.trust} note", f"a MSG to yourself comes back as PRIV before the OK: {first!r}")
        expect(p.reply() == f"OK MSG {p.name} sent 1/1", "then OK MSG NAME sent 1/1")


def spaces_only_text(t):
    with t.connect() as a, t.connect() as b:
        room = join_fresh(a, "sp")
        b.command(f"JOIN {room}")
        for line in ("SAY    ", f"MSG {room}    ", f"MSG {b.name}   "):
            reply = a.command(line)
            expect(reply.startswith("ERR BAD_ARGUMENTS"), f"{line!r} (text of spaces only) got {reply!r}")
        leaked = [e for e in b.quiet(0.3) if e.startswith(("MSG ", "PRIV "))]
        expect(not leaked, f"spaces-only text was relayed: {leaked}")


def msg_errors(t):
    with t.connect() as a, t.connect() as b:
        room = join_fresh(a, "me")
        reply = b.command(f"MSG {room} hi")
        expect(reply.startswith("ERR NOT_IN_ROOM"), f"MSG to a room you are not in got {reply!r}")
        reply = b.command(f"MSG {room.upper()} hi")
        expect(reply.startswith("ERR NOT_IN_ROOM"), f"room names are case-insensitive: {reply!r}")
        expect(b.command(f"WHO {room}").startswith(f"OK WHO {room} 1 "), "WHO works for a room you are not in")


def renamed_scope(t):
    with t.connect() as a, t.connect() as b, t.connect() as c:
        room = join_fresh(a, "rn")
        b.command(f"JOIN {room}")
        for p in (a, b, c):  # nobody else shares a room with c below
            while p.command("PART").startswith("OK PART"):
                pass
        a.command(f"JOIN {room}")
        b.command(f"JOIN {room}")
        new = "~ck" + fresh_room("")[5:]
        reply = b.command(f"NICK {new}")
        if reply.startswith("ERR NOT_ALLOWED"):
            raise Skip("the second user has a certificate name")
        expect(reply == f"OK NICK {new}", f"NICK got {reply!r}")
        a.event(lambda e: e == f"RENAMED {b.name} {new} {b.trust}")
        expect(not [e for e in c.quiet(0.3) if e.startswith("RENAMED")], "RENAMED reached a user sharing no room")


def final_line_without_lf(t):
    with t.connect() as a, t.connect() as b:
        room = join_fresh(a, "lf")
        b.command(f"JOIN {room}")
        b.send_raw(b"SAY never finished")
        b.close()
        leaked = [e for e in a.quiet(0.5) if e.startswith("MSG ")]
        expect(not leaked, f"a final line without LF was executed: {leaked}")


def bye(t):
    with t.connect() as p:
        p.send_raw(b"BYE\nPING after-bye\n")
        expect(p.reply() == "OK BYE", "BYE answers OK BYE")
        expect(p.closed(), "the server closes after OK BYE")
        expect(not p.events, f"a line after BYE was answered: {p.events}")


def rooms_listing(t):
    with t.connect() as a, t.connect() as b:
        one, two = join_fresh(a, "l1"), join_fresh(a, "l2")
        b.command(f"JOIN {one}")
        reply = a.command("ROOMS")
        words = reply.split(" ")
        expect(words[:2] == ["OK", "ROOMS"] and words[2].isdigit(), f"ROOMS got {reply!r}")
        items = [w for w in words[3:] if not w.startswith("+")]
        names = [i.split(":")[0] for i in items]
        expect(names == sorted(names), f"ROOMS not in byte order: {names}")
        expect(f"{one}:2" in items and f"{two}:1" in items, f"ROOMS lacks {one}:2 or {two}:1: {reply!r}")


def register(report, t):
    s = report.check
    s("6", "every command's argument errors and not-found codes", simple_errors, t)
    s("6", "HELP lists the verbs of section 6", help_lists_verbs, t)
    s("4", "JOIN/PART and the current room; empty rooms cease to exist", join_part_current, t)
    s("4", "no current room: PART, SAY, WHO get NO_CURRENT_ROOM", no_current_room, t)
    s("5", "events seen by other members: JOINED, MSG, PRIV, PARTED part/quit", room_events, t)
    s("6", "MSG to yourself: PRIV before OK", msg_to_self, t)
    s("2", "SAY/MSG with a text of spaces only: BAD_ARGUMENTS, nothing relayed (pinned)", spaces_only_text, t)
    s("6", "MSG to a room you are not in: NOT_IN_ROOM; WHO of it works", msg_errors, t)
    s("5", "RENAMED reaches only users sharing a room", renamed_scope, t)
    s("1", "a final line without LF is discarded at close", final_line_without_lf, t)
    s("6", "BYE: OK BYE, close, later lines unanswered", bye, t)
    s("6", "ROOMS: count, ROOM:MEMBERS, byte order", rooms_listing, t)
