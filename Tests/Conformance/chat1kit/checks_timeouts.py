# checks_timeouts: PROTOCOL.md sections 5 and 7 on silence: the first-command
# deadline (NOTICE idle, close) and the idle PING (a token of 1-64 printable
# ASCII characters, pinned; any command answers it; no answer within the
# grace: NOTICE idle and close). These take as long as the server's timeouts,
# so they run only when the kit is told them (--first-command-timeout,
# --idle-timeout with --ping-grace), against a test server started with short
# ones. It checks nothing else.
import re
import time

from .report import Skip, expect


def first_command(t):
    wait = t.args.first_command_timeout
    if not wait:
        raise Skip("needs --first-command-timeout SECONDS (the server's)")
    with t.connect() as p:
        expect(p.closed(timeout=wait + 5), f"no close within {wait + 5}s of a silent greeting")
        expect(any(e.startswith("NOTICE idle ") for e in p.events), f"no NOTICE idle before the close: {p.events}")


def idle_ping(t):
    idle, grace = t.args.idle_timeout, t.args.ping_grace
    if not idle or not grace:
        raise Skip("needs --idle-timeout and --ping-grace SECONDS (the server's)")
    with t.connect() as p:
        p.command("PING first")
        started = time.monotonic()
        ping = p.event(lambda e: e.startswith("PING "), timeout=idle + grace + 5)
        token = ping[5:]
        expect(re.fullmatch(r"[\x21-\x7e]{1,64}", token), f"PING token {token!r} is not 1-64 printable ASCII")
        expect(time.monotonic() - started >= idle * 0.9, "PING came before the idle timeout")
        expect(p.command(f"PING {token}") == f"OK PING {token}", "answering the PING")
        p.event(lambda e: e.startswith("PING "), timeout=idle + grace + 5)
        expect(p.closed(timeout=grace + 5), "no close after an unanswered PING")
        expect(any(e.startswith("NOTICE idle ") for e in p.events), f"no NOTICE idle before the close: {p.events}")


def register(report, t):
    report.check("7", "first command deadline: NOTICE idle, close", first_command, t)
    report.check("5", "idle PING: token shape (pinned), answered by any command, unanswered closes", idle_ping, t)
