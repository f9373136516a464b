#!/usr/bin/env python3
"""chat_scenarios.py: chat/1 scenarios driven by Python's standard library
(socket, ssl) against a running tlschatd: a peer we did not write.

Usage: chat_scenarios.py SCENARIO TLS_PORT PLAIN_PORT CERT_DIR
Exits 0 when every assertion holds; prints what it saw otherwise. Every read
has a timeout, so a scenario never hangs. Talks to 127.0.0.1 only.
"""
import os, socket, ssl, subprocess, sys, tempfile, time

TIMEOUT = 10
SCENARIO, TLS_PORT, PLAIN_PORT, CERTS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]


class Peer:
    """One chat/1 connection: send lines, read replies (events are collected aside)."""

    def __init__(self, cert=None, plain=False, context=None, receive_buffer=None):
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.settimeout(TIMEOUT)
        if receive_buffer:  # before connect, so the advertised window is small from the start
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        raw.connect(("127.0.0.1", PLAIN_PORT if plain else TLS_PORT))
        if plain:
            self.sock = raw
        else:
            ctx = context or ssl.create_default_context(cafile=os.path.join(CERTS, "ca.pem"))
            if cert and not context:
                ctx.load_cert_chain(os.path.join(CERTS, cert + ".pem"), os.path.join(CERTS, cert + ".key"))
            self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        self.buffer = b""
        self.events = []
        self.hello = self.line()

    def line(self):
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed; unread: %r" % self.buffer)
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()

    def send_raw(self, data):
        self.sock.sendall(data)

    def reply(self):
        """The next OK/ERR line; events seen on the way are kept in self.events."""
        while True:
            line = self.line()
            if line.split(" ", 1)[0] in ("OK", "ERR"):
                return line
            self.events.append(line)

    def cmd(self, text):
        self.send_raw(text.encode() + b"\n")
        return self.reply()

    def event(self, prefix):
        """Waits for an event starting with prefix (already seen ones count)."""
        for index, seen in enumerate(self.events):
            if seen.startswith(prefix):
                return self.events.pop(index)
        while True:
            line = self.line()
            if line.startswith(prefix):
                return line
            self.events.append(line)

    def expect_eof(self):
        try:
            extra = self.line()
        except EOFError:
            return
        raise AssertionError("expected the server to close, got %r" % extra)


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def broadcast():
    alice, bob = Peer("alice"), Peer("bob")
    guests = [Peer() for _ in range(18)]
    expect(alice.hello == "HELLO chat/1 tlschatd tls alice cert #lobby", alice.hello)
    reply = alice.cmd("SAY hello everyone")
    expect(reply == "OK SAY #lobby sent 19/19", reply)
    for peer in [bob] + guests:
        expect(peer.event("MSG ") == "MSG #lobby alice cert hello everyone", peer.events)
    expect(bob.cmd("MSG alice psst") == "OK MSG alice sent 1/1", "private")
    expect(alice.event("PRIV ") == "PRIV bob cert psst", alice.events)
    expect(not any(e.startswith("PRIV") for p in guests for e in p.events), "private message leaked")
    # rooms
    expect(alice.cmd("JOIN #dev") == "OK JOIN #dev 1", "join")
    expect(bob.cmd("JOIN #dev") == "OK JOIN #dev 2", "join 2")
    expect(bob.cmd("SAY dev only") == "OK SAY #dev sent 1/1", "room say")
    expect(alice.event("MSG #dev") == "MSG #dev bob cert dev only", alice.events)
    expect(alice.cmd("WHO") == "OK WHO #dev 2 alice:cert bob:cert", "who")
    # pipelining: 100 commands in one write, replies in order
    batch = "".join("PING %d\nSAY n%d\n" % (i, i) for i in range(50))
    alice.send_raw(batch.encode())
    replies = [alice.reply() for _ in range(100)]
    wanted = [r for i in range(50) for r in ("OK PING %d" % i, "OK SAY #dev sent 1/1")]
    expect(replies == wanted, "pipelined replies out of order: %r" % replies[:6])
    got = [bob.event("MSG #dev alice") for _ in range(50)]
    expect(got == ["MSG #dev alice cert n%d" % i for i in range(50)], "room messages out of order")
    # BYE: OK, then close; the others keep chatting
    expect(bob.cmd("BYE") == "OK BYE", "bye")
    bob.expect_eof()
    expect(alice.event("PARTED #dev bob") == "PARTED #dev bob cert quit", alice.events)
    expect(alice.cmd("SAY #dev still here") == "OK SAY #dev sent 0/0", "after bye")


def identity():
    alice, guest = Peer("alice"), Peer()
    reply = alice.cmd("NICK bob")
    expect(reply.startswith("ERR NOT_ALLOWED "), reply)
    reply = guest.cmd("NICK alice")
    expect(reply == "OK NICK ~alice", reply)
    reply = guest.cmd("WHO")
    expect(reply == "OK WHO #lobby 2 alice:cert ~alice:tls", reply)
    reply = alice.cmd("WHOAMI")
    expect(reply.startswith("OK WHOAMI alice cert tls sha256:") and len(reply.split()[5]) == 7 + 64, reply)
    bob = Peer("bob")
    expect(bob.cmd("NICK alice").startswith("ERR NOT_ALLOWED "), "bob took alice")


def selfsigned_alice():
    """A self-signed certificate that claims CN=alice must not get in as alice."""
    with tempfile.TemporaryDirectory() as tmp:
        key, cert = os.path.join(tmp, "k.pem"), os.path.join(tmp, "c.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", cert, "-subj", "/CN=alice", "-days", "1",
                        "-addext", "extendedKeyUsage=clientAuth"], check=True, capture_output=True)
        ctx = ssl.create_default_context(cafile=os.path.join(CERTS, "ca.pem"))
        ctx.load_cert_chain(cert, key)
        try:
            peer = Peer(context=ctx)
        except (ssl.SSLError, OSError, EOFError) as error:
            print("refused as expected:", error)
            return
        raise AssertionError("self-signed alice got in: %r" % peer.hello)


def hostile_certificates():
    """Verified certificates whose CN is not a usable name: anonymous, with a notice."""
    for cert in ["hostile-cn", "hostile-utf8", "two-cn"]:
        peer = Peer(cert)
        words = peer.hello.split()
        expect(words[4].startswith("~guest") and words[5] == "tls", "%s: %r" % (cert, peer.hello))
        expect(peer.line() == "NOTICE identity certificate name not usable as a chat name", cert)
        reply = peer.cmd("WHOAMI")
        expect(reply.split()[3:5] == ["tls", "tls"] and reply.split()[5].startswith("sha256:"), reply)
    try:
        Peer("empty-subject")
    except (ssl.SSLError, OSError, EOFError) as error:
        print("empty subject refused:", error)
    else:
        raise AssertionError("a certificate with an empty subject got in")


def plain_mixed():
    tls, plain = Peer("alice"), Peer(plain=True)
    expect(plain.hello.startswith("HELLO chat/1 tlschatd plain ~guest") and plain.hello.endswith(" plain #lobby"), plain.hello)
    expect(plain.cmd("SAY from plain") == "OK SAY #lobby sent 1/1", "plain say")
    name = plain.hello.split()[4]
    expect(tls.event("MSG ") == "MSG #lobby %s plain from plain" % name, tls.events)
    expect(tls.cmd("SAY from tls") == "OK SAY #lobby sent 1/1", "tls say")
    expect(plain.event("MSG ") == "MSG #lobby alice cert from tls", plain.events)
    reply = plain.cmd("WHO")
    expect(reply == "OK WHO #lobby 2 alice:cert %s:plain" % name, reply)


def with_tlschat():
    """A plain-socket peer and an ssl peer chat with a tlschat client (alice) run by the test."""
    plain, tls = Peer(plain=True), Peer("bob")
    expect(plain.cmd("SAY hello from plain") == "OK SAY #lobby sent 2/2", "plain say")
    expect(tls.cmd("SAY hello from bob") == "OK SAY #lobby sent 2/2", "tls say")
    for peer in (plain, tls):
        expect(peer.event("MSG #lobby alice") == "MSG #lobby alice cert hello from tlschat", peer.events)


def rate_limit():
    """Server runs with --command-burst 5 --commands-per-second 1."""
    flooder, bystander = Peer(plain=True), Peer(plain=True)
    flooder.send_raw(b"".join(b"PING %d\n" % i for i in range(10)))
    replies = [flooder.reply() for _ in range(10)]
    expect(replies[:5] == ["OK PING %d" % i for i in range(5)], replies)
    expect(sum(r.startswith("ERR RATE_LIMITED ") for r in replies[5:]) >= 4, replies)
    expect(bystander.cmd("PING fine") == "OK PING fine", "a bystander is not limited")
    expect(bystander.cmd("CAP LS").startswith("OK CAP LS rate=5/1 line=4096 sessions=1"), "the limit is advertised")


def multi_session():
    """Server runs with --sessions-per-user 2: alice's two sessions share rooms and messages."""
    bob, phone = Peer(cert="bob"), Peer(cert="alice")
    expect(phone.cmd("JOIN #dev") == "OK JOIN #dev 1", phone.events)
    laptop = Peer(cert="alice")
    expect(laptop.hello == "HELLO chat/1 tlschatd tls alice cert #dev", laptop.hello)
    expect(bob.cmd("MSG alice psst") == "OK MSG alice sent 2/2", bob.events)
    phone.event("PRIV bob cert psst"); laptop.event("PRIV bob cert psst")
    expect(laptop.cmd("SAY from the laptop") == "OK SAY #dev sent 1/1", laptop.events)
    phone.event("MSG #dev alice cert from the laptop")
    expect(bob.cmd("WHO #lobby") == "OK WHO #lobby 2 alice:cert bob:cert", "alice listed once")
    third = Peer(cert="alice")  # beyond the limit: the oldest (phone) is replaced
    phone.event("NOTICE replaced")
    expect(third.cmd("CAP LS").startswith("OK CAP LS rate=40/20 line=4096 sessions=2"), third.events)


def cert_only_rooms():
    """Server runs with --cert-only-room #staff: only certificate users get in; CERTONLY marks #ops."""
    alice, bob, guest, plain = Peer("alice"), Peer("bob"), Peer(), Peer(plain=True)
    expect(alice.cmd("JOIN #staff") == "OK JOIN #staff 1", alice.events)
    for peer, trust in ((guest, "tls"), (plain, "plain")):
        reply = peer.cmd("JOIN #staff")
        expect(reply == "ERR NOT_ALLOWED #staff admits certificate users only; you are %s" % trust, reply)
        expect(peer.cmd("MSG #staff sneaking in").startswith("ERR NOT_IN_ROOM"), peer.events)
    expect(bob.cmd("CAP REQ room-flags") == "OK CAP REQ room-flags", bob.events)
    expect(alice.cmd("JOIN #ops") == "OK JOIN #ops 1", alice.events)
    expect(bob.cmd("JOIN #ops") == "OK JOIN #ops 2", bob.events)
    expect(alice.cmd("CERTONLY #ops") == "OK CERTONLY #ops", alice.events)
    expect(bob.event("NOTICE cert-only") == "NOTICE cert-only #ops admits certificate users only from now on (set by alice)", bob.events)
    reply = guest.cmd("JOIN #ops")
    expect(reply == "ERR NOT_ALLOWED #ops admits certificate users only; you are tls", reply)
    reply = bob.cmd("ROOMS")
    expect(reply == "OK ROOMS 3 #lobby:4 #ops:2:cert #staff:1:cert", reply)
    reply = guest.cmd("ROOMS")
    expect(reply == "OK ROOMS 3 #lobby:4 #ops:2 #staff:1", "no flags without room-flags: " + reply)
    expect(not any("cert-only" in e for e in alice.events + guest.events + plain.events), "only room-flags sessions are told")


def idle():
    """Server runs with --idle-timeout 1 --ping-grace 1: answer the PING and stay; ignore it and go."""
    silent, lively = Peer(plain=True), Peer(plain=True)
    expect(silent.cmd("PING first") == "OK PING first", "first command")
    expect(lively.cmd("PING first") == "OK PING first", "first command")
    ping = lively.event("PING idle-")
    expect(lively.cmd("PING " + ping.split()[1]).startswith("OK PING idle-"), "answering the server's PING")
    expect(silent.event("PING idle-").startswith("PING idle-"), silent.events)
    expect(silent.event("NOTICE idle ").startswith("NOTICE idle no reply to PING"), silent.events)
    silent.expect_eof()
    expect(lively.cmd("PING still") == "OK PING still", "the lively client stays")


def first_command():
    """Server runs with --first-command-timeout 1: a client that never sends a command is closed."""
    quiet = Peer(plain=True)
    expect(quiet.line().startswith("NOTICE idle no command within"), "no notice")
    quiet.expect_eof()


def per_address():
    """Server runs with --max-clients-per-address 3: the fourth is closed without a greeting."""
    peers = [Peer(plain=True) for _ in range(3)]
    try:
        extra = Peer(plain=True)
    except EOFError:
        pass
    else:
        raise AssertionError("a fourth connection got a greeting: %r" % extra.hello)
    expect(peers[0].cmd("BYE") == "OK BYE", "bye")
    peers[0].expect_eof()
    peers[0].sock.close()  # the server lingers until our side closes too
    for attempt in range(50):  # the server notices the close within a loop iteration or two
        try:
            again = Peer(plain=True)
            break
        except EOFError:
            time.sleep(0.1)
    else:
        raise AssertionError("a slot freed by BYE was not reusable")
    expect(again.cmd("PING ok") == "OK PING ok", "reused slot works")


def framing():
    peer = Peer(plain=True)
    for byte in b"PING one-byte-at-a-time\r\n":
        peer.send_raw(bytes([byte]))
    expect(peer.reply() == "OK PING one-byte-at-a-time", "byte by byte")
    peer.send_raw(b"PING a\nPING b\r\nPING c\n")
    expect([peer.reply() for _ in range(3)] == ["OK PING a", "OK PING b", "OK PING c"], "many lines")
    peer.send_raw(b"SAY \xff\xfe\n")
    expect(peer.reply().startswith("ERR BAD_UTF8 "), "bad utf8")
    peer.send_raw(b"SAY a\rPRIV alice cert forged\n")
    expect(peer.reply().startswith("ERR BAD_TEXT "), "carriage return")
    peer.send_raw(b"SAY \x1b[2Jcleared\n")
    expect(peer.reply().startswith("ERR BAD_TEXT "), "escape")
    expect(peer.cmd("PING still-open") == "OK PING still-open", "connection kept after bad text")
    peer.send_raw(b"SAY " + b"x" * 5000 + b"\n")
    reply = peer.reply()
    expect(reply.startswith("ERR LINE_TOO_LONG "), reply)
    peer.expect_eof()
    other = Peer(plain=True)
    expect(other.cmd("PING alive") == "OK PING alive", "server still serving")


SCENARIOS = {f.__name__: f for f in [broadcast, identity, selfsigned_alice, hostile_certificates, plain_mixed, with_tlschat,
                                     framing, rate_limit, idle, first_command, per_address, multi_session,
                                     cert_only_rooms]}

def run(table, name):
    """Runs table[name]; prints PASSED NAME, or FAILED with the reason and exits 1."""
    try:
        table[name]()
    except (AssertionError, EOFError, OSError) as error:
        print("FAILED:", type(error).__name__, error)
        sys.exit(1)
    print("PASSED", name)


if __name__ == "__main__":
    run(SCENARIOS, SCENARIO)
