# checks_framing: PROTOCOL.md sections 1 and 2 on one connection at a time:
# the greeting, LF-only server lines, byte-at-a-time input, CRLF, pipelining,
# blank lines, verb case, BAD_UTF8 / BAD_TEXT (connection stays open), the
# line limit (exactly the limit accepted with LF and with CRLF; more answered
# with LINE_TOO_LONG before any LF arrives, then closed; nothing answered
# after it), a CR inside a line, and the plaintext listener's answer to a TLS
# ClientHello. It does not check commands beyond PING (checks_commands).
import re
import ssl
import time

from .report import CheckFailed, Skip, expect
from .wire import DEADLINE


def greeting(t):
    with t.connect() as p:
        words = p.hello.split(" ")
        expect(words[1] == "chat/1", f"version word is {words[1]!r}, not chat/1")
        expect(re.fullmatch(r"[\x21-\x7e]{1,64}", words[2]) is not None, f"SERVER word {words[2]!r} is not 1-64 printable ASCII")
        expect(words[3] == ("plain" if t.plain else "tls"), f"TRANSPORT is {words[3]!r}")
        expect(words[6] == "-" or re.fullmatch(r"#[a-z0-9._-]{1,32}", words[6]), f"ROOM {words[6]!r} is neither - nor a lower-case room")
        expect(p.raw_lines[0].endswith(b"\n") and not p.raw_lines[0].endswith(b"\r\n"), "greeting not ended by LF alone")


def lf_only(t):
    with t.connect() as p:
        p.command("PING lf")
        p.command("WHOAMI")
        bad = [line for line in p.raw_lines if line.endswith(b"\r\n")]
        expect(not bad, f"server sent CRLF: {bad[:2]}")


def byte_at_a_time(t):
    with t.connect() as p:
        for byte in b"PiNg one-byte\n":
            p.send_raw(bytes([byte]))
            time.sleep(0.005)
        reply = p.reply()
        expect(reply == "OK PING one-byte", f"got {reply!r}")


def crlf(t):
    with t.connect() as p:
        p.send_raw(b"PING crlf\r\n")
        reply = p.reply()
        expect(reply == "OK PING crlf", f"got {reply!r} (the CR must be removed)")


def pipelining(t):
    with t.connect() as p:
        p.send_raw(b"PING a\nPING b\nWHOAMI x\nPING c\n")
        replies = [p.reply() for _ in range(4)]
        expect(replies[:2] == ["OK PING a", "OK PING b"] and replies[3] == "OK PING c", f"replies {replies}")
        expect(replies[2].startswith("ERR BAD_ARGUMENTS"), f"WHOAMI x got {replies[2]!r}")


def blank_lines(t):
    with t.connect() as p:
        p.send_raw(b"\n   \n\t \r\nPING after-blank\n")
        reply = p.reply()
        expect(reply == "OK PING after-blank", f"blank lines got a reply: {reply!r}")


def verb_case(t):
    with t.connect() as p:
        expect(p.command("pInG x") == "OK PING x", "verbs must be case-insensitive")
        reply = p.command("\u017fay hi")
        expect(reply.startswith("ERR UNKNOWN_COMMAND"), f"'\u017fay' must not be SAY: {reply!r}")
        expect(p.command("FROB").startswith("ERR UNKNOWN_COMMAND"), "FROB must be UNKNOWN_COMMAND")


def bad_utf8(t):
    with t.connect() as p:
        p.send_raw(b"PING \xff\xfe\n")
        reply = p.reply()
        expect(reply.startswith("ERR BAD_UTF8 "), f"got {reply!r}")
        expect(p.command("PING still-open") == "OK PING still-open", "connection must stay open after BAD_UTF8")


BAD_TEXTS = [b"\x01", b"\x7f", b"\x1b[2J", "\u0085".encode(), "\u2028".encode(), "\u2029".encode(),
             "\u202e".encode(), "\u2066".encode(), b"a\rb"]


def bad_text(t):
    with t.connect() as p:
        for bad in BAD_TEXTS:
            p.pace()
            p.send_raw(b"PING x" + bad + b"y\n")
            reply = p.reply()
            expect(reply.startswith("ERR BAD_TEXT "), f"{bad!r} got {reply!r}")
        p.pace()
        p.send_raw(b"PING tab\tok\n")
        expect(p.reply() == "OK PING tab\tok", "a TAB is allowed")


def line_limit_exact(t):
    limit = t.max_line
    token = "x" * (limit - len("PING "))
    with t.connect() as p:
        expect(p.command("PING " + token) == "OK PING " + token, f"a line of exactly {limit} bytes must be accepted")
        p.pace()
        p.send_raw(("PING " + token).encode() + b"\r\n")
        expect(p.reply() == "OK PING " + token, f"{limit} bytes + CRLF must be accepted (the CR does not count)")


def line_too_long_before_lf(t):
    limit = t.max_line
    with t.connect() as p:
        p.send_raw(b"PING " + b"x" * (limit - 5) + b"\r")   # the limit plus a CR that may start a CRLF
        early = p.quiet(0.3)
        expect(not early, f"answered before the line was over the limit: {early}")
        p.send_raw(b"y")                                    # now limit + 2 bytes held, no LF
        reply = p.reply()
        expect(reply.startswith("ERR LINE_TOO_LONG "), f"got {reply!r}")
        try:
            p.send_raw(b"\nPING after\n")
        except OSError:
            pass
        expect(p.closed(), "connection not closed after LINE_TOO_LONG")
        expect(not any(e.startswith("OK") for e in p.events), f"a line after LINE_TOO_LONG was answered: {p.events}")


def too_long_without_cr(t):
    with t.connect() as p:
        p.send_raw(b"SAY " + b"z" * t.max_line)            # limit + 4 bytes, no LF at all
        reply = p.reply()
        expect(reply.startswith("ERR LINE_TOO_LONG "), f"got {reply!r}")
        expect(p.closed(), "connection not closed after LINE_TOO_LONG")


def tls_on_plaintext(t):
    if not t.plain:
        raise Skip("plaintext listener only (--plain)")
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    expect(hello[:1] == b"\x16", "internal: not a ClientHello")
    with t.connect(greet=False) as p:
        p.send_raw(hello)
        line = p.read_line()
        expect(line.startswith("NOTICE tls "), f"a ClientHello got {line!r}")
        expect(p.closed(), "connection not closed after NOTICE tls")


def register(report, t):
    s = report.check
    s("1", "greeting: HELLO chat/1 SERVER TRANSPORT NAME TRUST ROOM", greeting, t)
    s("1", "server lines end with LF only", lf_only, t)
    s("1", "input one byte at a time", byte_at_a_time, t)
    s("1", "CRLF accepted, CR removed", crlf, t)
    s("6", "pipelined commands answered in order", pipelining, t)
    s("1", "blank and whitespace-only lines get no reply", blank_lines, t)
    s("2", "verbs ASCII case-insensitive; unknown verb UNKNOWN_COMMAND", verb_case, t)
    s("1", "invalid UTF-8 gets BAD_UTF8, connection stays open", bad_utf8, t)
    s("1", "control, separator and bidi characters get BAD_TEXT; CR inside a line too", bad_text, t)
    s("1", "a line of exactly the limit accepted, with LF and with CRLF", line_limit_exact, t)
    s("1", "LINE_TOO_LONG sent before LF (final CR not counted), then close", line_too_long_before_lf, t)
    s("1", "LINE_TOO_LONG for a line that never ends", too_long_without_cr, t)
    s("1", "plaintext listener answers a TLS ClientHello with NOTICE tls and closes", tls_on_plaintext, t)
