# checks_extensions: PROTOCOL.md sections 10-13 and 14: CAP LS and CAP REQ
# (all or none), that a client which enabled nothing sees only the lines of
# sections 5 and 6, history (ids, MSGID, HISTORY, join-history) and
# room-flags / CERTONLY when the server advertises them, and STARTTLS
# (upgrade on the plaintext listener, NOT_ALLOWED over TLS). A capability the
# server does not advertise is skipped with "not advertised". Timeouts (idle
# PING, first command) are in checks_timeouts.
import re
import socket
import ssl

from .report import Skip, expect
from .wire import Peer, fresh_room, join_fresh


def cap_ls(t):
    with t.connect() as p:
        reply = p.command("CAP LS")
        expect(reply.startswith("OK CAP LS"), f"CAP LS got {reply!r}")
        expect(p.command("CAP") == reply, "CAP alone must answer as CAP LS")
        tokens = dict(w.split("=", 1) if "=" in w else (w, "") for w in reply.split(" ")[3:])
        if "rate" in tokens:
            expect(re.fullmatch(r"\d+/\d+(\.\d+)?", tokens["rate"]), f"rate={tokens['rate']}")
        for name in ("line", "sessions", "history", "join-history"):
            if name in tokens:
                expect(tokens[name].isdigit(), f"{name}={tokens[name]} is not a number")


def need(t, capability):
    if capability not in t.caps:
        raise Skip(f"{capability} not advertised in CAP LS")


def nothing_enabled(t):
    with t.connect() as a, t.connect() as b:
        room = join_fresh(a, "ne")
        b.command(f"JOIN {room}")
        reply = a.command("SAY plain lines")
        expect(re.fullmatch(rf"OK SAY {re.escape(room)} sent 1/1", reply), f"without CAP REQ the OK has no extra field: {reply!r}")
        got = b.event(lambda e: e.startswith(("MSG ", "MSGID ")))
        expect(got.startswith("MSG "), f"without CAP REQ a room message is MSG: {got!r}")
        reply = a.command("ROOMS")
        expect(":cert" not in reply, "ROOMS shows flags without room-flags")


def cap_req_all_or_none(t):
    need(t, "history")
    with t.connect() as a, t.connect() as b:
        reply = a.command("CAP REQ history no-such-cap-ck")
        expect(reply.startswith("ERR BAD_ARGUMENTS"), f"CAP REQ with an unknown name got {reply!r}")
        room = join_fresh(a, "an")
        b.command(f"JOIN {room}")
        expect(" id=" not in a.command("SAY x"), "a refused CAP REQ enabled history anyway")


def history(t):
    need(t, "history")
    with t.connect() as a, t.connect() as b, t.connect() as c:
        room = join_fresh(a, "hi")
        b.command(f"JOIN {room}")
        c.command(f"JOIN {room}")
        expect(a.command("CAP REQ history") == "OK CAP REQ history", "CAP REQ history")
        expect(b.command("CAP REQ history") == "OK CAP REQ history", "CAP REQ history")
        reply = a.command("SAY kept")
        m = re.fullmatch(rf"OK SAY {re.escape(room)} sent 2/2 id=(\d+)", reply)
        expect(m, f"SAY with history: {reply!r}")
        ident = m.group(1)
        b.event(lambda e: e == f"MSGID {ident} {room} {a.name} {a.trust} kept")
        c.event(lambda e: e == f"MSG {room} {a.name} {a.trust} kept")
        b.send(f"HISTORY {room} LIMIT 1")
        line = b.read_line()
        expect(re.fullmatch(rf"HIST {ident} \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z {re.escape(room)} {re.escape(a.name)} {a.trust} kept", line),
               f"HIST line {line!r}")
        expect(b.reply() in (f"OK HISTORY {room} 1", f"OK HISTORY {room} 1 more"), "OK HISTORY ROOM 1")
        reply = b.command(f"HISTORY {fresh_room('hx')}")
        expect(reply.startswith("ERR NOT_IN_ROOM"), f"HISTORY of a room you are not in got {reply!r}")


def no_history(t):
    if "history" in t.caps:
        raise Skip("the server advertises history")
    with t.connect() as p:
        reply = p.command(f"HISTORY {fresh_room('nh')}")
        expect(reply.startswith(("ERR NO_HISTORY", "ERR UNKNOWN_COMMAND", "ERR NOT_IN_ROOM")), f"HISTORY without history: {reply!r}")


def join_history(t):
    need(t, "join-history")
    with t.connect() as a, t.connect() as b:
        room = join_fresh(a, "jh")
        a.command("SAY before you came")
        b.command("CAP REQ join-history")
        b.send(f"JOIN {room}")
        line = b.read_line()
        expect(line.startswith("HIST ") and line.endswith(f" {room} {a.name} {a.trust} before you came"), f"first line after JOIN: {line!r}")
        expect(b.reply().startswith(f"OK JOIN {room} 2"), "then OK JOIN")


def room_flags(t):
    need(t, "room-flags")
    if t.plain or len(t.users) < 2:
        raise Skip("needs TLS and two certificate users (--cert, --cert2)")
    with t.connect(t.user(0)) as a, t.connect(t.user(1)) as b, t.connect() as anon:
        room = join_fresh(a, "co")
        expect(b.command("CAP REQ room-flags") == "OK CAP REQ room-flags", "CAP REQ room-flags")
        b.command(f"JOIN {room}")
        expect(anon.command(f"CERTONLY {room}").startswith(("ERR NOT_ALLOWED", "ERR NOT_IN_ROOM")), "CERTONLY by an anonymous user")
        expect(a.command("CERTONLY") == f"OK CERTONLY {room}", "CERTONLY by a cert member")
        b.event(lambda e: e.startswith(f"NOTICE cert-only {room} "))
        reply = anon.command(f"JOIN {room}")
        expect(reply.startswith("ERR NOT_ALLOWED"), f"anonymous JOIN of a cert-only room got {reply!r}")
        expect(f" {room}:2:cert" in b.command("ROOMS"), "ROOMS with room-flags marks the room")
        expect(b.command(f"WHO {room}").startswith(f"OK WHO {room}:cert 2 "), "WHO with room-flags marks the room")
        expect(f" {room}:2:cert" not in a.command("ROOMS"), "ROOMS without room-flags must not mark it")


def starttls(t):
    with t.connect() as p:
        if not t.plain:
            reply = p.command("STARTTLS")
            expect(reply.startswith(("ERR NOT_ALLOWED", "ERR UNKNOWN_COMMAND")), f"STARTTLS over TLS got {reply!r}")
            return
        if "starttls" not in t.caps:
            raise Skip("starttls not advertised in CAP LS")
        if not t.args.ca:
            raise Skip("needs --ca to verify the server after STARTTLS")
        expect(p.command("STARTTLS") == "OK STARTTLS", "STARTTLS on the plaintext listener")
        cert = t.users[0] if t.users else None
        tls = t.tls_context(cert).wrap_socket(p.sock, server_hostname=t.server_name)
        upgraded = Peer(tls, t)
        hello = upgraded.read_line().split(" ")
        expect(hello[:2] == ["HELLO", "chat/1"] and hello[3] == "tls", f"greeting after STARTTLS: {hello}")
        expect(hello[5] == ("cert" if cert else "tls"), f"trust after STARTTLS: {hello[5]}")
        upgraded.drain_notices()
        expect(upgraded.command("STARTTLS").startswith("ERR NOT_ALLOWED"), "a second STARTTLS is NOT_ALLOWED")
        upgraded.close()


def register(report, t):
    s = report.check
    s("10", "CAP LS / CAP: tokens NAME or NAME=VALUE", cap_ls, t)
    s("10", "a client that enabled nothing sees only section 5/6 lines", nothing_enabled, t)
    s("10", "CAP REQ is all or none", cap_req_all_or_none, t)
    s("11", "history: id= in OK, MSGID only to who asked, HISTORY, NOT_IN_ROOM", history, t)
    s("11", "no history advertised: HISTORY refused", no_history, t)
    s("11", "join-history: HIST lines before OK JOIN", join_history, t)
    s("12", "CERTONLY and room-flags", room_flags, t)
    s("13", "STARTTLS: upgrade on plaintext, NOT_ALLOWED over TLS or twice", starttls, t)
