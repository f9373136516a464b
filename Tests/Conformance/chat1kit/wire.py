# wire: connections from the conformance kit to a chat/1 server under test.
# `Target` holds where and how to connect (host, port, TLS or plaintext, CA,
# the client certificates); `Peer` is one connection: it reads the greeting,
# sends commands (paced below the rate the server advertised, so ordinary
# checks never meet RATE_LIMITED), tells replies from events by the first
# word, and waits on every read with a deadline. Raw byte sends bypass the
# pacing for the framing and rate checks. It checks no rule itself (the
# checks_* modules do) and never falls back to plaintext.
import hashlib
import secrets
import socket
import ssl
import time

DEADLINE = 5.0  # seconds to wait for any expected line


class Target:
    def __init__(self, args):
        self.host, self.port, self.plain = args.host, args.port, args.plain
        self.ca, self.server_name = args.ca, args.server_name or args.host
        self.users = [pair for pair in [(args.cert, args.key), (args.cert2, args.key2)] if pair[0] and pair[1]]
        self.args = args
        self.rate = (40, 20.0)       # learned from CAP LS by the first peer
        self.max_line = 4096
        self.caps = {}

    def tls_context(self, cert=None):
        context = ssl.create_default_context(cafile=self.ca)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if cert:
            context.load_cert_chain(cert[0], cert[1])
        return context

    def connect(self, cert=None, greet=True, plain=None):
        """A Peer that has read its greeting (greet=False: raw, nothing read)."""
        plain = self.plain if plain is None else plain
        sock = socket.create_connection((self.host, self.port), timeout=DEADLINE)
        if not plain:
            sock = self.tls_context(cert).wrap_socket(sock, server_hostname=self.server_name)
        peer = Peer(sock, self)
        if greet:
            peer.hello = peer.read_line()
            words = peer.hello.split(" ")
            if words[0] != "HELLO" or len(words) != 7:
                raise AssertionError(f"expected a HELLO greeting of 7 words, got {peer.hello!r}")
            peer.name, peer.trust, peer.room = words[4], words[5], words[6]
            peer.drain_notices()
        return peer

    def user(self, index):
        return self.users[index] if index < len(self.users) and not self.plain else None


def fingerprint(pem_path):
    """sha256:HEX of the DER of the first certificate in a PEM file (PROTOCOL.md section 6)."""
    text = open(pem_path).read()
    start = text.index("-----BEGIN CERTIFICATE-----")
    end = text.index("-----END CERTIFICATE-----", start) + len("-----END CERTIFICATE-----")
    return "sha256:" + hashlib.sha256(ssl.PEM_cert_to_DER_cert(text[start:end])).hexdigest()


def fresh_room(tag="r"):
    return f"#ck-{tag}-{secrets.token_hex(3)}"


class Peer:
    def __init__(self, sock, target):
        self.sock, self.target = sock, target
        self.buffer = b""
        self.events = []          # events seen while waiting for replies, oldest first
        self.hello = self.name = self.trust = self.room = None
        burst, per_second = target.rate
        self.tokens, self.capacity = max(1, burst - 2), max(1, burst - 2)
        self.per_second, self.stamp = per_second * 0.8, time.monotonic()
        self.raw_lines = []       # every line received, as bytes with its terminator

    # -- bytes --
    def send_raw(self, data):
        self.sock.sendall(data)

    def read_line(self, timeout=DEADLINE):
        """The next line, without LF; raises TimeoutError or EOFError."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no line within {timeout:.1f}s (have {self.buffer[:80]!r})")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise EOFError("connection closed by the server" + (f" (partial line {self.buffer[:80]!r})" if self.buffer else ""))
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        self.raw_lines.append(line + b"\n")
        return line.decode("utf-8")

    def drain_notices(self, wait=0.15):
        """Reads the NOTICE lines that follow a greeting (identity, expiry) into events."""
        end = time.monotonic() + wait
        while time.monotonic() < end:
            try:
                line = self.read_line(timeout=max(0.01, end - time.monotonic()))
            except TimeoutError:
                return
            self.events.append(line)

    # -- commands --
    def pace(self):
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.per_second)
        self.stamp = now
        if self.tokens < 1:
            time.sleep((1 - self.tokens) / self.per_second)
            self.tokens, self.stamp = 1, time.monotonic()
        self.tokens -= 1

    def send(self, line):
        self.pace()
        self.send_raw(line.encode("utf-8") + b"\n")

    def reply(self, timeout=DEADLINE):
        """The next reply (OK/ERR); events before it are kept in self.events."""
        while True:
            line = self.read_line(timeout)
            if line.split(" ", 1)[0] in ("OK", "ERR"):
                return line
            self.events.append(line)

    def command(self, line, timeout=DEADLINE):
        self.send(line)
        return self.reply(timeout)

    def event(self, predicate, timeout=DEADLINE):
        """The first event (already seen or new) matching predicate; removes it from events."""
        deadline = time.monotonic() + timeout
        while True:
            for index, line in enumerate(self.events):
                if predicate(line):
                    return self.events.pop(index)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching event within {timeout:.1f}s (seen: {self.events[-5:]})")
            line = self.read_line(left)
            if line.split(" ", 1)[0] in ("OK", "ERR"):
                raise AssertionError(f"unexpected reply {line!r} while waiting for an event")
            self.events.append(line)

    def quiet(self, wait=0.3):
        """Lines that arrive within `wait` seconds (none expected, usually)."""
        seen = []
        end = time.monotonic() + wait
        while time.monotonic() < end:
            try:
                seen.append(self.read_line(timeout=max(0.01, end - time.monotonic())))
            except TimeoutError:
                break
            except (EOFError, OSError):
                seen.append("<closed>")
                break
        return seen

    def closed(self, timeout=DEADLINE):
        """True once the server closed the connection (lines before it are kept in events)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                try:
                    self.events.append(self.read_line(timeout=max(0.01, deadline - time.monotonic())))
                except TimeoutError:
                    return False
        except (EOFError, ConnectionResetError, ssl.SSLError, BrokenPipeError):
            return True
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def join_fresh(peer, tag="r"):
    """Joins a new room of its own and returns its lower-case name."""
    room = fresh_room(tag)
    reply = peer.command(f"JOIN {room}")
    if not reply.startswith(f"OK JOIN {room} "):
        raise AssertionError(f"JOIN {room} got {reply!r}")
    return room
