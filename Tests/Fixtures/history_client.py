#!/usr/bin/env python3
"""history_client.py: chat/1 history (PROTOCOL.md section 11) as seen by a
client written only from PROTOCOL.md, with Python's standard library (ssl).

Usage: history_client.py SCENARIO TLS_PORT CERT_DIR [SERVER_PID]
  protocol   opt-in (CAP REQ history join-history): MSGID/PRIVID, OK ... id=,
             HISTORY paging with BEFORE/AFTER/LIMIT and `more`, HIST lines on
             JOIN before OK JOIN, private history of two cert users (both
             views; NOT_ALLOWED for an anonymous user, whose private messages
             keep their old lines). Server: --history-on-join 3.
  no_opt_in  a client that asks for nothing sees exactly the pre-history lines.
  retention  server with --history-max-messages-per-room 5: after 20 messages
             HISTORY soon returns only the newest 5.
  disk_full  server under a file size limit (prlimit --fsize): messages go on
             being delivered while the sender gets `unstored`; after
             `prlimit --pid SERVER_PID --fsize=unlimited` a message gets an id.
Exits 0 and prints "PASSED SCENARIO" when every check holds. Every read has a
timeout; 127.0.0.1 only.
"""
import os, re, socket, ssl, subprocess, sys, time

TIMEOUT = 10
SCENARIO, TLS_PORT, CERTS = sys.argv[1], int(sys.argv[2]), sys.argv[3]
HIST = re.compile(r"^HIST (\d+) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\S+) (\S+) (cert|tls|plain) (.*)$")


class Peer:
    """One connection: `cmd` sends a line and returns the reply; lines before it are kept in `seen`."""

    def __init__(self, cert=None):
        raw = socket.create_connection(("127.0.0.1", TLS_PORT), timeout=TIMEOUT)
        ctx = ssl.create_default_context(cafile=os.path.join(CERTS, "ca.pem"))
        if cert:
            ctx.load_cert_chain(os.path.join(CERTS, cert + ".pem"), os.path.join(CERTS, cert + ".key"))
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        self.buffer, self.seen, self.all = b"", [], []
        self.hello = self.line()
        self.name = self.hello.split()[4]

    def line(self):
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed; unread: %r" % self.buffer)
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        self.all.append(line.decode())
        return self.all[-1]

    def cmd(self, text):
        """Sends `text`; returns (reply, the lines that came before it since the last reply)."""
        self.sock.sendall(text.encode() + b"\n")
        before = []
        while True:
            line = self.line()
            if line.split(" ", 1)[0] in ("OK", "ERR"):
                self.seen += before
                return line, before
            before.append(line)

    def event(self, prefix):
        """The first unconsumed line starting with `prefix`, waiting for it if needed."""
        for index, line in enumerate(self.seen):
            if line.startswith(prefix):
                return self.seen.pop(index)
        while True:
            line = self.line()
            if line.startswith(prefix):
                return line
            self.seen.append(line)


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def ok(peer, text, wanted):
    reply, before = peer.cmd(text)
    expect(reply == wanted, "%s: got %r, wanted %r" % (text, reply, wanted))
    return before


def got(peer, prefix, wanted):
    """The next line of `peer` starting with `prefix` must be `wanted`."""
    line = peer.event(prefix)
    expect(line == wanted, "%s got %r, wanted %r" % (peer.name, line, wanted))


def said(peer, text, target):
    """Sends SAY or MSG; checks `OK VERB TARGET sent N/M id=ID` and returns ID."""
    reply, _ = peer.cmd(text)
    match = re.fullmatch(r"OK (SAY|MSG) %s sent \d+/\d+ id=(\d+)" % re.escape(target), reply)
    expect(match, "%s: %r" % (text, reply))
    return int(match.group(2))


def history(peer, request):
    """HISTORY request: returns ([(id, target, from, trust, text)], the OK reply)."""
    reply, before = peer.cmd(request)
    rows = []
    for line in before:
        match = HIST.match(line)
        expect(match, "%s: not a HIST line: %r" % (request, line))
        rows.append((int(match.group(1)),) + match.group(3, 4, 5, 6))
    return rows, reply


def texts(rows):
    return [row[4] for row in rows]


def protocol():
    alice, bob, guest = Peer("alice"), Peer("bob"), Peer()
    reply, _ = alice.cmd("CAP LS")
    expect(" history=500 join-history=3" in reply, reply)
    ok(alice, "CAP REQ history join-history", "OK CAP REQ history join-history")
    ok(bob, "CAP REQ history", "OK CAP REQ history")
    ok(alice, "JOIN #hist", "OK JOIN #hist 1")
    ok(bob, "JOIN #hist", "OK JOIN #hist 2")
    ids = [said(alice, "SAY m%d" % i, "#hist") for i in range(10)]
    ids.append(said(bob, "MSG #hist via msg", "#hist"))
    expect(all(b > a for a, b in zip(ids, ids[1:])), "ids not increasing: %r" % ids)
    for i in range(10):
        got(bob, "MSG", "MSGID %d #hist alice cert m%d" % (ids[i], i))
    got(alice, "MSG", "MSGID %d #hist bob cert via msg" % ids[10])
    names = ["m%d" % i for i in range(10)] + ["via msg"]
    # Paging back from the newest, then catching up from an id.
    rows, reply = history(bob, "HISTORY #hist LIMIT 4")
    expect(texts(rows) == names[7:] and reply == "OK HISTORY #hist 4 more", (rows, reply))
    expect([r[0] for r in rows] == ids[7:] and rows[0][1:4] == ("#hist", "alice", "cert"), rows)
    rows, reply = history(bob, "HISTORY #hist BEFORE %d LIMIT 4" % ids[7])
    expect(texts(rows) == names[3:7] and reply == "OK HISTORY #hist 4 more", (rows, reply))
    rows, reply = history(bob, "HISTORY #hist BEFORE %d LIMIT 4" % ids[3])
    expect(texts(rows) == names[:3] and reply == "OK HISTORY #hist 3", (rows, reply))
    rows, reply = history(bob, "HISTORY #hist after %d limit 5" % ids[0])
    expect(texts(rows) == names[1:6] and reply == "OK HISTORY #hist 5 more", (rows, reply))
    rows, reply = history(bob, "HISTORY #hist AFTER %d" % ids[5])
    expect(texts(rows) == names[6:] and reply == "OK HISTORY #hist 5", (rows, reply))
    rows, reply = history(bob, "HISTORY #hist AFTER %d" % ids[10])
    expect(rows == [] and reply == "OK HISTORY #hist 0", (rows, reply))
    reply, _ = bob.cmd("HISTORY #elsewhere")
    expect(reply.startswith("ERR NOT_IN_ROOM "), reply)
    # join-history: the newest 3 messages as HIST lines, before OK JOIN.
    ok(bob, "JOIN #later", "OK JOIN #later 1")
    later = [said(bob, "SAY x%d" % i, "#later") for i in range(5)]
    before = ok(alice, "JOIN #later", "OK JOIN #later 2")
    rows = [HIST.match(line) for line in before]
    expect(all(rows) and [int(r.group(1)) for r in rows] == later[2:], before)
    expect([r.group(3, 4, 6) for r in rows] == [("#later", "bob", "x%d" % i) for i in range(2, 5)], before)
    # Private history between two cert users: both views.
    secret = said(alice, "MSG bob secret", "bob")
    got(bob, "PRIV", "PRIVID %d alice cert secret" % secret)
    answer = said(bob, "MSG alice answer", "alice")
    got(alice, "PRIV", "PRIVID %d bob cert answer" % answer)
    rows, reply = history(alice, "HISTORY bob")
    expect(rows == [(secret, "bob", "alice", "cert", "secret"), (answer, "bob", "bob", "cert", "answer")], rows)
    expect(reply == "OK HISTORY bob 2", reply)
    rows, reply = history(bob, "HISTORY alice LIMIT 1")
    expect(rows == [(answer, "alice", "bob", "cert", "answer")] and reply == "OK HISTORY alice 1 more", (rows, reply))
    # An anonymous user: no private history, and its private messages keep their old lines.
    ok(guest, "CAP REQ history", "OK CAP REQ history")
    reply, _ = guest.cmd("HISTORY alice")
    expect(reply.startswith("ERR NOT_ALLOWED "), reply)
    ok(alice, "MSG %s to a guest" % guest.name, "OK MSG %s sent 1/1" % guest.name)
    got(guest, "PRIV", "PRIV alice cert to a guest")
    ok(guest, "MSG alice from a guest", "OK MSG alice sent 1/1")
    got(alice, "PRIV", "PRIV %s tls from a guest" % guest.name)
    rows, _ = history(alice, "HISTORY bob")
    expect(texts(rows) == ["secret", "answer"], "anonymous private messages were stored: %r" % rows)


def no_opt_in():
    alice, bob = Peer("alice"), Peer("bob")
    expect(alice.hello == "HELLO chat/1 tlschatd tls alice cert #lobby", alice.hello)
    ok(alice, "JOIN #plain", "OK JOIN #plain 1")
    ok(alice, "SAY stored before bob came", "OK SAY #plain sent 0/0")
    before = ok(bob, "JOIN #plain", "OK JOIN #plain 2")
    expect(before == [], "JOIN without join-history sent %r" % before)
    ok(alice, "SAY hello", "OK SAY #plain sent 1/1")
    got(bob, "MSG", "MSG #plain alice cert hello")
    ok(bob, "MSG #plain by msg", "OK MSG #plain sent 1/1")
    got(alice, "MSG", "MSG #plain bob cert by msg")
    ok(alice, "MSG bob psst", "OK MSG bob sent 1/1")
    got(bob, "PRIV", "PRIV alice cert psst")
    ok(bob, "MSG alice back", "OK MSG alice sent 1/1")
    got(alice, "PRIV", "PRIV bob cert back")
    ok(alice, "PING done", "OK PING done")
    ok(bob, "PING done", "OK PING done")
    for peer in (alice, bob):
        extra = [l for l in peer.all if l.split(" ", 1)[0] in ("MSGID", "PRIVID", "HIST") or " id=" in l or "unstored" in l]
        expect(extra == [], "%s saw history lines without opting in: %r" % (peer.name, extra))
    # HISTORY is a new verb: usable without the capability (its lines are new).
    rows, reply = history(bob, "HISTORY #plain")
    expect(texts(rows) == ["stored before bob came", "hello", "by msg"] and reply == "OK HISTORY #plain 3", (rows, reply))


def retention():
    alice = Peer("alice")
    ok(alice, "CAP REQ history", "OK CAP REQ history")
    ok(alice, "JOIN #kept", "OK JOIN #kept 1")
    ids = [said(alice, "SAY r%d" % i, "#kept") for i in range(20)]
    deadline = time.monotonic() + 5
    while True:  # pruning runs once a second: poll the condition until a deadline
        rows, reply = history(alice, "HISTORY #kept LIMIT 50")
        if len(rows) <= 5 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    expect([(r[0], r[4]) for r in rows] == [(ids[i], "r%d" % i) for i in range(15, 20)], "after pruning: %r" % rows)
    expect(reply == "OK HISTORY #kept 5", reply)
    rows, reply = history(alice, "HISTORY #kept BEFORE %d" % ids[15])
    expect(rows == [] and reply == "OK HISTORY #kept 0", (rows, reply))


def disk_full():
    sender, watcher = Peer("alice"), Peer("bob")
    ok(sender, "CAP REQ history", "OK CAP REQ history")
    ok(sender, "JOIN #full", "OK JOIN #full 1")
    ok(watcher, "JOIN #full", "OK JOIN #full 2")
    replies, first_unstored = [], None
    for i in range(5000):
        reply, _ = sender.cmd("SAY f%d" % i)
        replies.append(reply)
        expect(re.fullmatch(r"OK SAY #full sent 1/1 (id=\d+|unstored)", reply), "SAY f%d: %r" % (i, reply))
        if first_unstored is None and reply.endswith(" unstored"):
            first_unstored = i
        if first_unstored is not None and i >= first_unstored + 20:
            break
    expect(first_unstored is not None, "no SAY was reported unstored under the file size limit")
    expect(first_unstored >= 1, "not even one message stored before the limit: %r" % replies[:3])
    expect(all(r.endswith(" unstored") for r in replies[first_unstored:]), "stored again while full: %r" % replies)
    for i in range(len(replies)):
        got(watcher, "MSG", "MSG #full alice cert f%d" % i)
    stored_ids = [int(r.rsplit("=", 1)[1]) for r in replies[:first_unstored]]
    print("stored %d, then %d unstored" % (first_unstored, len(replies) - first_unstored))
    subprocess.run(["prlimit", "--pid", sys.argv[4], "--fsize=unlimited"], check=True)
    resumed = said(sender, "SAY space is back", "#full")
    expect(resumed > stored_ids[-1], "id %d after space returned, %d before" % (resumed, stored_ids[-1]))
    got(watcher, "MSG", "MSG #full alice cert space is back")
    rows, reply = history(sender, "HISTORY #full LIMIT 500")
    wanted = ["f%d" % i for i in range(first_unstored)] + ["space is back"]
    expect(texts(rows) == wanted and reply == "OK HISTORY #full %d" % len(wanted), (texts(rows), reply))


if __name__ == "__main__":
    {"protocol": protocol, "no_opt_in": no_opt_in, "retention": retention, "disk_full": disk_full}[SCENARIO]()
    print("PASSED " + SCENARIO)
