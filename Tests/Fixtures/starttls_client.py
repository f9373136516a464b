#!/usr/bin/env python3
"""STARTTLS scenarios against a running tlschatd, with Python's ssl module (a
TLS peer we did not write). Usage:

  starttls_client.py SCENARIO CA PLAIN_PORT TLS_PORT [CERT KEY]

Scenarios: upgrade (with or without CERT/KEY), pipelined, over_tls, require.
Prints "PASSED SCENARIO" and exits 0, or prints what went wrong and exits 1.
Every wait has a deadline (socket timeouts); nothing sleeps a fixed time."""
import socket
import ssl
import sys

TIMEOUT = 10


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def raw_line(sock):
    """One line read byte by byte, so nothing after it is taken from the socket."""
    data = b""
    while not data.endswith(b"\n"):
        byte = sock.recv(1)
        if not byte:
            fail("connection closed; got %r" % data)
        data += byte
    return data.decode().rstrip("\n")


class Lines:
    def __init__(self, sock):
        self.sock, self.buffer = sock, b""

    def next(self):
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                fail("connection closed while waiting for a line (have %r)" % self.buffer)
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()

    def until(self, predicate, what):
        seen = []
        while True:
            line = self.next()
            seen.append(line)
            if predicate(line):
                return seen
            if len(seen) > 200:
                fail("no %s in %r" % (what, seen))


def plain_client(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    return sock, raw_line(sock)


def tls_context(ca, cert=None, key=None):
    context = ssl.create_default_context(cafile=ca)
    if cert:
        context.load_cert_chain(cert, key)
    return context


def starttls(sock, context):
    sock.sendall(b"STARTTLS\n")
    reply = raw_line(sock)
    if reply != "OK STARTTLS":
        fail("STARTTLS got %r" % reply)
    return context.wrap_socket(sock, server_hostname="localhost")


def observer(port):
    sock, hello = plain_client(port)
    lines = Lines(sock)
    sock.sendall(b"PING ready\n")
    lines.until(lambda line: line == "OK PING ready", "OK PING")
    return sock, lines


def upgrade(ca, plain_port, tls_port, cert=None, key=None):
    watcher, watched = observer(plain_port)
    sock, hello = plain_client(plain_port)
    guest = hello.split()[4]
    if hello != "HELLO chat/1 tlschatd plain %s plain #lobby" % guest:
        fail("plain greeting %r" % hello)
    sock.sendall(b"CAP LS\n")
    cap = raw_line(sock)
    if "starttls" not in cap.split():
        fail("CAP LS on the plaintext listener does not offer starttls: %r" % cap)
    tls = starttls(sock, tls_context(ca, cert, key))
    lines = Lines(tls)
    name, trust = ("alice", "cert") if cert else (guest, "tls")
    greeting = lines.next()
    if greeting != "HELLO chat/1 tlschatd tls %s %s #lobby" % (name, trust):
        fail("greeting after the upgrade %r" % greeting)
    tls.sendall(b"WHOAMI\n")
    whoami = lines.next()
    if not whoami.startswith("OK WHOAMI %s %s tls " % (name, trust)):
        fail("WHOAMI after the upgrade %r" % whoami)
    tls.sendall(b"STARTTLS\n")
    again = lines.next()
    if not again.startswith("ERR NOT_ALLOWED "):
        fail("a second STARTTLS got %r" % again)
    tls.sendall(b"SAY upgraded-marker\n")
    seen = watched.until(lambda line: "upgraded-marker" in line, "the marker")
    expected = ["JOINED #lobby %s plain" % guest, "PARTED #lobby %s plain quit" % guest, "JOINED #lobby %s %s" % (name, trust),
                "MSG #lobby %s %s upgraded-marker" % (name, trust)]
    if seen != expected:
        fail("the other member saw %r, expected %r" % (seen, expected))
    tls.sendall(b"BYE\n")
    watcher.close()


def pipelined(ca, plain_port, tls_port):
    watcher, watched = observer(plain_port)
    sock, hello = plain_client(plain_port)
    guest = hello.split()[4]
    sock.sendall(b"STARTTLS\r\nSAY #lobby injected\r\n")  # one write: the SAY must never run
    reply = raw_line(sock)
    if reply != "OK STARTTLS":
        fail("STARTTLS got %r" % reply)
    try:
        tls = tls_context(ca).wrap_socket(sock, server_hostname="localhost")
        lines = Lines(tls)
        lines.next()  # the new greeting
        tls.sendall(b"SAY after-marker\n")
        seen = watched.until(lambda line: "after-marker" in line, "the marker")
    except (ssl.SSLError, OSError) as error:  # the kernel split the write: the handshake failed on it
        print("handshake failed (acceptable): %s" % error)
        seen = watched.until(lambda line: line.startswith("PARTED #lobby %s " % guest), "the PARTED")
    if any("injected" in line for line in seen):
        fail("a line pipelined after STARTTLS was executed: %r" % seen)
    watcher.sendall(b"BYE\n")


def over_tls(ca, plain_port, tls_port):
    tls = tls_context(ca).wrap_socket(socket.create_connection(("127.0.0.1", tls_port), timeout=TIMEOUT),
                                      server_hostname="localhost")
    lines = Lines(tls)
    lines.next()
    tls.sendall(b"STARTTLS\n")
    reply = lines.next()
    if not reply.startswith("ERR NOT_ALLOWED "):
        fail("STARTTLS over TLS got %r" % reply)


def require(ca, plain_port, tls_port):
    sock, hello = plain_client(plain_port)
    guest = hello.split()[4]
    if hello != "HELLO chat/1 tlschatd plain %s plain -" % guest:
        fail("greeting under --plain-require-starttls %r" % hello)
    for command, expected in [("SAY hi", "ERR NOT_ALLOWED "), ("JOIN #x", "ERR NOT_ALLOWED "),
                              ("PING 1", "OK PING 1"), ("CAP LS", "OK CAP LS ")]:
        sock.sendall(command.encode() + b"\n")
        reply = raw_line(sock)
        if not reply.startswith(expected):
            fail("%s got %r" % (command, reply))
    other = tls_context(ca).wrap_socket(socket.create_connection(("127.0.0.1", tls_port), timeout=TIMEOUT),
                                        server_hostname="localhost")
    other_lines = Lines(other)
    other_lines.next()
    other.sendall(("MSG %s secret\n" % guest).encode())  # would cross the network in plaintext
    reply = other_lines.next()
    if not reply.startswith("ERR NO_SUCH_USER "):
        fail("MSG to a session that has not upgraded got %r" % reply)
    tls = starttls(sock, tls_context(ca))
    lines = Lines(tls)
    greeting = lines.next()
    if greeting != "HELLO chat/1 tlschatd tls %s tls #lobby" % guest:
        fail("greeting after the upgrade %r" % greeting)
    tls.sendall(b"SAY hi\n")
    reply = lines.next()
    if not reply.startswith("OK SAY #lobby sent "):
        fail("SAY after the upgrade got %r" % reply)


if __name__ == "__main__":
    scenario, ca, plain_port, tls_port = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    extra = sys.argv[5:]
    {"upgrade": upgrade, "pipelined": pipelined, "over_tls": over_tls, "require": require}[scenario](
        ca, plain_port, tls_port, *extra)
    print("PASSED " + scenario)
