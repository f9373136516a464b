# fake_scenarios: the scripts the fake chat/1 server plays to one client
# connection. `chat`: greeting, a NOTICE with a topic no client knows, an event
# line longer than any client line limit, a server PING, and replies to what
# the client sends (OK for the commands of section 6, ERR UNKNOWN_COMMAND
# else) until BYE or close. `ping`: greeting and PING only; the client must
# send a command within the grace. `close`: the server closes after the
# greeting (the client must not send more on it). `untrusted`: (TLS) a
# certificate the client must refuse; nothing but TLS may arrive. Each
# scenario returns after its connection ends; checks are reported on `report`.
import socket
import time

GRACE = 5.0


class Connection:
    def __init__(self, sock, audit):
        self.sock, self.audit = sock, audit
        self.buffer = b""
        self.ended = False

    def send(self, line):
        try:
            self.sock.sendall(line.encode() + b"\n")
        except OSError:
            self.ended = True

    def next_line(self, timeout):
        """The next client line (decoded, None for blank/invalid), or raises TimeoutError/EOFError."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                self.audit.leftover(self.buffer)
                self.ended = True
                raise EOFError
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\n", 1)
        return self.audit.feed(raw) or ""


def answer(conn, text, room):
    words = text.lstrip(" ").split(" ")
    verb, rest = words[0].upper(), [w for w in words[1:] if w]
    if verb == "PING":
        conn.send("OK PING" + (" " + rest[0] if rest else ""))
    elif verb == "CAP":
        conn.send("OK CAP LS rate=40/20 line=4096 sessions=1" if not rest or rest[0].upper() == "LS" else "ERR BAD_ARGUMENTS no such capability")
    elif verb == "SAY":
        conn.send(f"OK SAY {room[0]} sent 0/0")
    elif verb == "JOIN" and rest:
        room[0] = rest[0].lower()
        conn.send(f"OK JOIN {room[0]} 1")
    elif verb == "BYE":
        conn.send("OK BYE")
        return False
    elif verb in ("NICK", "PART", "MSG", "ROOMS", "WHO", "WHOAMI", "HELP"):
        details = {"WHOAMI": f"~guest1 tls tls - {room[0]}", "HELP": "NICK JOIN PART SAY MSG ROOMS WHO WHOAMI PING HELP BYE CAP",
                   "ROOMS": f"1 {room[0]}:1", "WHO": f"{room[0]} 1 ~guest1:tls", "PART": room[0],
                   "NICK": "~" + (rest[0].lstrip("~") if rest else "x"), "MSG": f"{rest[0] if rest else '-'} sent 1/1"}
        conn.send(f"OK {verb} {details[verb]}")
    else:
        conn.send(f"ERR UNKNOWN_COMMAND unknown command '{verb[:32]}'; try HELP")
    return True


def chat(conn, report, transport):
    room = ["#lobby"]
    conn.send(f"HELLO chat/1 fakechat {transport} ~guest1 {transport} #lobby")
    conn.send("NOTICE frobnicate a notice topic no client knows; show or ignore it")
    conn.send("MSG #lobby ~bigmouth tls " + "long " * 2000)
    conn.send("PING fake-token-1")
    pinged, answered, said_bye = time.monotonic(), None, False
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            text = conn.next_line(deadline - time.monotonic())
        except (TimeoutError, EOFError):
            break
        if answered is None and text:
            answered = time.monotonic() - pinged
        if text and not answer(conn, text, room):
            said_bye = True
            break
    ping_report(report, answered)
    report.line("PASS" if said_bye or conn.ended else "FAIL", "6", "client: ended with BYE or a close",
                "" if said_bye or conn.ended else "still connected after 20 s")


def ping_report(report, answered):
    ok = answered is not None and answered <= GRACE
    report.line("PASS" if ok else "FAIL", "5", "client: a command within the grace after the server's PING",
                "" if ok else "no command within %.0f s" % GRACE)


def ping(conn, report, transport):
    conn.send(f"HELLO chat/1 fakechat {transport} ~guest1 {transport} #lobby")
    conn.send("PING fake-token-2")
    started = time.monotonic()
    answered = None
    try:
        while answered is None:
            text = conn.next_line(GRACE - (time.monotonic() - started))
            if text:
                answered = time.monotonic() - started
                answer(conn, text, ["#lobby"])
    except (TimeoutError, EOFError):
        pass
    ping_report(report, answered)


def close(conn, report, transport):
    conn.send(f"HELLO chat/1 fakechat {transport} ~guest1 {transport} #lobby")
    conn.send("NOTICE shutdown server is shutting down")
    time.sleep(0.2)
    conn.sock.close()
    report.line("PASS", "6", "client: server closed after the greeting (the client must report it)")


SCENARIOS = {"chat": chat, "ping": ping, "close": close}
