# checks_limits: PROTOCOL.md section 7 and the pinned limit rules: the command
# rate (which lines count, the rate check before the text checks, blank lines
# free, NOTICE flood after 256 refusals), rooms per client and per server
# (the starting room counts), WHO/ROOMS item limits with "+N", name lengths.
# The rate comes from CAP LS; the other limits from the kit's options
# (defaults: the spec's), since a server may lower them. Checks that would
# need more than MAX_PEERS connections are skipped with the reason.
import math

from .report import Skip, expect
from .wire import fresh_room, join_fresh

MAX_PEERS = 90


def burst(t):
    b, per_second = t.rate
    if per_second > 200 or b > 1000:
        raise Skip(f"rate {b}/{per_second} too fast to observe reliably")
    return b


def over_rate_first(t):
    b = burst(t)
    with t.connect(greet=True) as p:
        p.send_raw(b"PING r\n" * b + b"PING over\nFROB\nPING \xff\nPING bad\x01text\n")
        replies = [p.reply() for _ in range(b + 4)]
        oks = sum(1 for r in replies if r == "OK PING r")
        expect(oks >= b - 1, f"only {oks} of a burst of {b} were answered OK: {replies[:3]}...")
        tail = replies[-3:]
        expect(all(r.startswith("ERR RATE_LIMITED") for r in tail),
               f"lines over the rate must get RATE_LIMITED before any other check: {tail}")


def bad_lines_count(t):
    b = burst(t)
    with t.connect() as p:
        p.send_raw(b"PING bad\x02\n" * (b + 2) + b"PING last\n")
        replies = [p.reply() for _ in range(b + 3)]
        expect(replies[0].startswith("ERR BAD_TEXT"), f"first reply {replies[0]!r}")
        expect(replies[-1].startswith("ERR RATE_LIMITED"), f"BAD_TEXT lines must count toward the rate: last reply {replies[-1]!r}")


def blank_lines_free(t):
    b = burst(t)
    with t.connect() as p:
        p.send_raw(b"\n \n" * (2 * b) + b"PING free\n" * (b - 1))
        replies = [p.reply() for _ in range(b - 1)]
        expect(all(r == "OK PING free" for r in replies), f"blank lines took from the rate: {[r for r in replies if r != 'OK PING free'][:2]}")


def flood_close(t):
    b = burst(t)
    with t.connect() as p:
        p.send_raw(b"PING f\n" * (b + 300))
        expect(p.closed(timeout=10), "a client far over the rate must be closed")
        notices = [e for e in p.events if e.startswith("NOTICE flood ")]
        refusals = sum(1 for e in p.events if e.startswith("ERR RATE_LIMITED"))
        expect(notices, "no NOTICE flood before the close")
        expect(refusals >= 250, f"closed after only {refusals} refusals (256 expected)")


def rooms_per_client(t):
    limit = t.args.max_rooms_per_client
    with t.connect() as p:
        have = 0 if p.room == "-" else 1
        rooms = [join_fresh(p, "pc") for _ in range(limit - have)]
        reply = p.command(f"JOIN {fresh_room('pc')}")
        expect(reply.startswith("ERR TOO_MANY_ROOMS"), f"room {limit + 1} (starting room counted) got {reply!r}")
        expect(p.command(f"JOIN {rooms[0]}").startswith("OK JOIN"), "joining a room you are in never hits the limit")


def room_count(p):
    words = p.command("ROOMS").split(" ")
    return int(words[2])


def fill_rooms(t, total):
    """Connections holding new rooms until the server has `total`; returns them. Counted
    again after filling: rooms of connections that were still closing may have gone."""
    per = t.args.max_rooms_per_client
    peers = []
    try:
        for _ in range(3):
            with t.connect() as probe:
                missing = total - room_count(probe)
                per_peer = per - (0 if probe.room == "-" else 1)
            if missing <= 0:
                return peers
            if len(peers) + math.ceil(missing / max(1, per_peer)) > MAX_PEERS:
                raise Skip(f"needs more than {MAX_PEERS} connections; give the limits of a smaller test server")
            while missing > 0:
                p = t.connect()
                peers.append(p)
                for _ in range(min(per_peer, missing)):
                    join_fresh(p, "fill")
                    missing -= 1
    except BaseException:
        for p in peers:
            p.close()
        raise
    return peers


def rooms_on_server(t):
    limit = t.args.max_rooms
    peers = fill_rooms(t, limit)
    try:
        with t.connect() as p:
            expect(room_count(p) == limit, f"ROOMS count {room_count(p)} after filling to {limit}")
            reply = p.command(f"JOIN {fresh_room('srv')}")
            expect(reply.startswith("ERR TOO_MANY_ROOMS"), f"room {limit + 1} on the server got {reply!r}")
    finally:
        for p in peers:
            p.close()


def rooms_list_limit(t):
    items = t.args.max_list_items
    if items + 1 > t.args.max_rooms:
        raise Skip("--max-list-items is not below --max-rooms")
    peers = fill_rooms(t, items + 1)
    try:
        with t.connect() as p:
            words = p.command("ROOMS").split(" ")
            count = int(words[2])
            listed = words[3:]
            expect(len(listed) == items + 1 and listed[-1] == f"+{count - items}", f"ROOMS of {count} rooms: {len(listed)} words, last {listed[-1]!r}")
    finally:
        for p in peers:
            p.close()


def who_list_limit(t):
    items = t.args.max_list_items
    if items + 1 > MAX_PEERS:
        raise Skip(f"a WHO over {items} items needs {items + 1} connections; give the --max-list-items of a smaller test server")
    peers = [t.connect() for _ in range(items + 1)]
    try:
        room = join_fresh(peers[0], "who")
        for p in peers[1:]:
            p.command(f"JOIN {room}")
        words = peers[0].command(f"WHO {room}").split(" ")
        expect(words[3] == str(items + 1) and len(words) == 4 + items + 1 and words[-1] == "+1", f"WHO of {items + 1}: {words[:4]} ... {words[-1]}")
    finally:
        for p in peers:
            p.close()


def room_name_length(t):
    longest = t.args.max_room_name_length
    with t.connect() as p:
        room = "#" + "r" * (longest - 6) + fresh_room("")[5:]
        expect(p.command(f"JOIN {room}").startswith("OK JOIN"), f"a room name of {longest} characters must be accepted")
        reply = p.command(f"JOIN {room}x")
        expect(reply.startswith("ERR BAD_ARGUMENTS"), f"a room name of {longest + 1} characters got {reply!r}")


def register(report, t):
    s = report.check
    s("7", "over the rate: RATE_LIMITED before BAD_UTF8/BAD_TEXT/UNKNOWN_COMMAND (pinned)", over_rate_first, t)
    s("7", "lines refused as BAD_TEXT count toward the rate (pinned)", bad_lines_count, t)
    s("7", "blank lines take nothing from the rate (pinned)", blank_lines_free, t)
    s("7", "a client far over the rate gets NOTICE flood and is closed", flood_close, t)
    s("4", "rooms per client, the starting room counted (pinned)", rooms_per_client, t)
    s("4", "rooms on the server, the starting room counted (pinned)", rooms_on_server, t)
    s("6", "ROOMS lists at most the item limit, then +N", rooms_list_limit, t)
    s("6", "WHO lists at most the item limit, then +N", who_list_limit, t)
    s("4", "room name length limit", room_name_length, t)
