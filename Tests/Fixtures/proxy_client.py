#!/usr/bin/env python3
"""Plays a TCP load balancer that speaks the PROXY protocol v2 in front of
tlschatd, with Python's standard library only (ssl for TLS: a peer we did not
write). Usage:

  proxy_client.py [--plain] [--separate] [--host H] [--first-line TEXT] PORT CA SPEC...

Each SPEC opens one connection, in order, and all stay open until the end:
  proxy:IP:PORT  a PROXY v2 header relaying client IP:PORT (IPv4 or IPv6)
  local          a LOCAL header (a health check)
  raw:HEX        these bytes instead of a header
  partial:HEX    these bytes, then wait (up to 15 s) for the server to close
For proxy/local the header goes out in the same write as the TLS ClientHello
(or, with --plain, as --first-line), unless --separate. Prints "N greeting:
LINE" or "N closed: WHY" per connection, then for each greeted one sends
"PING pN" and prints "N reply: LINE" (and the reply to --first-line first;
room events before a reply are skipped). A refused connection may end in a
FIN or, when the server closes with our bytes unread, a reset: both count.
Every wait has a deadline (socket timeouts); nothing sleeps a fixed time."""
import argparse
import ipaddress
import socket
import ssl
import struct
import time

SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
TIMEOUT = 10


def header(spec):
    if spec == "local":
        return SIGNATURE + bytes([0x20, 0x00]) + struct.pack("!H", 0)
    host, port = spec[len("proxy:"):].rsplit(":", 1)
    source = ipaddress.ip_address(host)
    if source.version == 4:
        body = source.packed + ipaddress.ip_address("10.0.0.1").packed + struct.pack("!HH", int(port), 2222)
        family = 0x11
    else:
        body = source.packed + ipaddress.ip_address("2001:db8::1").packed + struct.pack("!HH", int(port), 2222)
        family = 0x21
    return SIGNATURE + bytes([0x21, family]) + struct.pack("!H", len(body)) + body


class BioTLS:
    """TLS over a socket through memory BIOs, so the first TLS bytes can share a write with the header."""

    def __init__(self, sock, context, prefix):
        self.sock, self.incoming, self.outgoing = sock, ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_hostname="localhost")
        self.pending = b""
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                data = prefix + self.outgoing.read()
                prefix = b""
                if data:
                    sock.sendall(data)
                self.receive()
        self.flush()

    def receive(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        self.incoming.write(chunk)

    def flush(self):
        data = self.outgoing.read()
        if data:
            self.sock.sendall(data)

    def write(self, data):
        self.tls.write(data)
        self.flush()

    def readline(self):
        while b"\n" not in self.pending:
            try:
                self.pending += self.tls.read(4096)
            except ssl.SSLWantReadError:
                self.receive()
            except ssl.SSLZeroReturnError:
                raise ConnectionError("TLS closed by the server")
        line, self.pending = self.pending.split(b"\n", 1)
        return line.decode()


class PlainLines:
    def __init__(self, sock):
        self.sock, self.pending = sock, b""

    def write(self, data):
        self.sock.sendall(data)

    def readline(self):
        while b"\n" not in self.pending:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed by the server")
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return line.decode()


def reply(lines):
    """The next reply (OK/ERR), skipping room events (JOINED ...) that arrive meanwhile."""
    while True:
        line = lines.readline()
        if line.startswith(("OK ", "ERR ")):
            return line


def wait_closed(sock):
    started = time.monotonic()
    sock.settimeout(15)
    try:
        while sock.recv(4096):
            pass
        return "closed by the server after %.1fs" % (time.monotonic() - started)
    except socket.timeout:
        return "still open after 15s"
    except OSError as error:
        return "reset after %.1fs (%s)" % (time.monotonic() - started, error)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--plain", action="store_true")
    parser.add_argument("--separate", action="store_true")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--first-line", default="")
    parser.add_argument("port", type=int)
    parser.add_argument("ca")
    parser.add_argument("specs", nargs="+")
    options = parser.parse_args()
    context = ssl.create_default_context(cafile=options.ca)
    greeted = []
    for number, spec in enumerate(options.specs, 1):
        sock = socket.create_connection((options.host, options.port), timeout=TIMEOUT)
        try:
            if spec.startswith(("raw:", "partial:")):
                sock.sendall(bytes.fromhex(spec.split(":", 1)[1]))
                print("%d closed: %s" % (number, wait_closed(sock)), flush=True)
                continue
            prefix = header(spec)
            first = options.first_line.encode() + b"\n" if options.first_line else b""
            if options.separate:
                sock.sendall(prefix)
                prefix = b""
            if options.plain:
                sock.sendall(prefix + first)
                lines = PlainLines(sock)
            else:
                lines = BioTLS(sock, context, prefix)
                if first:
                    lines.write(first)
            print("%d greeting: %s" % (number, lines.readline()), flush=True)
            if first:
                print("%d first-line reply: %s" % (number, reply(lines)), flush=True)
            greeted.append((number, sock, lines))
        except (ssl.SSLError, OSError) as error:
            print("%d closed: %s" % (number, error), flush=True)
    for number, sock, lines in greeted:
        try:
            lines.write(b"PING p%d\n" % number)
            print("%d reply: %s" % (number, reply(lines)), flush=True)
        except (ssl.SSLError, OSError) as error:
            print("%d closed: %s" % (number, error), flush=True)
    for _, sock, _ in greeted:
        sock.close()


main()
