#!/usr/bin/env python3
"""cluster_client.py: clients of a tlschatd cluster (PROTOCOL.md section 15),
written from PROTOCOL.md with Python's standard library only (socket, ssl).

  cluster_client.py chat CERT_DIR PORT1 PORT2 PORT3
      alice (cert) on node 1, bob (cert) on node 2 and an anonymous user on
      node 3 meet in a new room: WHO lists all three on every node; all three
      send 30 messages each at once, pipelined, and every one of them sees the
      messages of the other two in the same order as everyone else (checked
      by id: CAP REQ history); OK SAY counts 2/2; a private message crosses
      nodes both ways; a name taken on one node cannot be taken on another,
      also when two nodes race for it. Prints "PASSED chat" at the end.
  cluster_client.py member CERT_DIR PORT NAME ROOM
      NAME (a client certificate) joins ROOM, prints "MEMBER", and stays
      until the connection ends.
  cluster_client.py watch CERT_DIR PORT ROOM SECONDS
      An anonymous user joins ROOM, prints "WATCHING", then prints every
      JOINED/PARTED line it sees, for SECONDS.
  cluster_client.py local CERT_DIR PORT ROOM
      Two users on one node chat in ROOM; prints the sender's reply and
      "PASSED local" when the other one received the message.

Every read has a timeout; 127.0.0.1 only.
"""
import os, socket, ssl, sys, threading, time

# Seconds every read and wait may take; CLUSTER_CLIENT_TIMEOUT raises it where the cluster is
# still recovering (a NATS server was just killed, in a slow sanitizer build).
TIMEOUT = float(os.environ.get("CLUSTER_CLIENT_TIMEOUT", "15"))


class Client:
    def __init__(self, port, certs, name=None):
        ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
        ctx.check_hostname = False
        if name:
            ctx.load_cert_chain(os.path.join(certs, name + ".pem"), os.path.join(certs, name + ".key"))
        raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        self.buffer, self.pending = b"", []
        self.hello = self.line()
        self.name = self.hello.split(" ")[4]

    def send(self, text):
        self.sock.sendall(text.encode() + b"\n")

    def line(self):
        while not self.pending:
            chunk = self.sock.recv(262144)
            if not chunk:
                raise SystemExit("FAILED connection closed")
            self.buffer += chunk
            *complete, self.buffer = self.buffer.split(b"\n")
            self.pending = [line.decode() for line in reversed(complete)]
        return self.pending.pop()

    def until(self, predicate, what):
        """Lines up to and including the first that satisfies `predicate`."""
        seen, deadline = [], time.time() + TIMEOUT
        while time.time() < deadline:
            line = self.line()
            seen.append(line)
            if predicate(line):
                return seen
        raise SystemExit(f"FAILED {self.name} never saw {what}; saw {seen[-5:]}")

    def command(self, text):
        """Sends one command; returns its reply (events before it are dropped)."""
        self.send(text)
        return self.until(lambda l: l.split(" ", 1)[0] in ("OK", "ERR"), "a reply to " + text)[-1]


def check(condition, message):
    if not condition:
        raise SystemExit("FAILED " + message)


def chat(certs, ports):
    room = "#c%d" % (time.time_ns() % 1000000)
    alice, bob, anon = Client(ports[0], certs, "alice"), Client(ports[1], certs, "bob"), Client(ports[2], certs)
    clients = [alice, bob, anon]
    for c in clients:
        check(c.command("CAP REQ history").startswith("OK"), "CAP REQ history")
        check(c.command("JOIN " + room).startswith("OK JOIN " + room), c.name + " JOIN")
    names = sorted([alice.name, bob.name, anon.name], key=str.lower)
    deadline = time.time() + TIMEOUT
    while True:  # joins reach the other nodes asynchronously
        whos = [c.command("WHO " + room) for c in clients]
        if all(w.startswith("OK WHO %s 3 " % room) for w in whos) or time.time() > deadline:
            break
        time.sleep(0.05)
    for w in whos:
        check(all(n in w for n in names), "WHO on every node lists all three: " + w)
    print("PASSED who", flush=True)
    count = 30
    for c in clients:  # everyone at once, pipelined
        c.send("\n".join("SAY %s-%d" % (c.name, i) for i in range(count)))
    seen = {}
    for c in clients:
        ids, oks, others = [], 0, 2 * count
        while oks < count or len(ids) < others:
            line = c.line()
            if line.startswith("OK SAY"):
                check(line.startswith("OK SAY %s sent 2/2 id=" % room), c.name + ": " + line)
                oks += 1
            elif line.startswith("MSGID "):
                ids.append(int(line.split(" ")[1]))
            elif line.startswith("ERR"):
                raise SystemExit("FAILED " + line)
        seen[c.name] = ids
    order = {}
    for c in clients:
        check(seen[c.name] == sorted(seen[c.name]), c.name + " saw ids out of order")
        for i in seen[c.name]:
            order.setdefault(i, 0)
            order[i] += 1
    check(len(order) == 3 * count and all(v == 2 for v in order.values()), "each message seen by the two others, once")
    print("PASSED order", flush=True)
    check(alice.command("MSG bob over there").startswith("OK MSG bob sent 1/1"), "MSG across nodes")
    check(any(l == "PRIV alice cert over there" or l.startswith("PRIVID ") and l.endswith("alice cert over there")
              for l in bob.until(lambda l: l.startswith("PRIV"), "alice's PRIV")), "bob got alice's PRIV")
    check(bob.command("MSG " + anon.name + " back").startswith("OK MSG"), "MSG to the anonymous user")
    check(any("back" in l for l in anon.until(lambda l: l.startswith("PRIV"), "bob's PRIV")), "anon got bob's PRIV")
    print("PASSED private", flush=True)
    nick = "z%d" % (time.time_ns() % 100000)
    check(anon.command("NICK " + nick) == "OK NICK ~" + nick, "NICK")
    other = Client(ports[0], certs)
    deadline = time.time() + TIMEOUT
    while other.command("NICK " + nick) == "OK NICK ~" + nick:
        raise SystemExit("FAILED a name taken on node 3 was taken again on node 1")
    racers = [Client(ports[0], certs), Client(ports[1], certs)]
    race = "r%d" % (time.time_ns() % 100000)
    for r in racers:
        r.send("NICK " + race)
    replies = [r.until(lambda l: l.startswith("OK NICK") or l.startswith("ERR"), "NICK reply")[-1] for r in racers]
    check(sorted(r.split(" ")[0] for r in replies) == ["ERR", "OK"], "exactly one of two racing nodes gets a name: %s" % replies)
    print("PASSED names", flush=True)
    print("PASSED chat", flush=True)


def member(certs, port, name, room):
    c = Client(port, certs, name)
    check(c.command("JOIN " + room).startswith("OK JOIN"), "JOIN")
    print("MEMBER", flush=True)
    c.sock.settimeout(None)
    while c.sock.recv(65536):
        pass


def watch(certs, port, room, seconds):
    c = Client(port, certs)
    check(c.command("JOIN " + room).startswith("OK JOIN"), "JOIN")
    print("WATCHING", flush=True)
    c.sock.settimeout(0.2)
    end = time.time() + seconds
    while time.time() < end:
        try:
            line = c.line()
        except (socket.timeout, TimeoutError):
            continue
        if line.startswith(("JOINED", "PARTED")):
            print("%.3f %s" % (time.time(), line), flush=True)


def local(certs, port, room):
    a, b = Client(port, certs, "alice"), Client(port, certs)
    for c in (a, b):
        check(c.command("JOIN " + room).startswith("OK JOIN"), "JOIN")
    print(a.command("SAY locally"), flush=True)
    b.until(lambda l: l == "MSG %s alice cert locally" % room, "alice's local message")
    print("PASSED local", flush=True)


if __name__ == "__main__":
    command, certs = sys.argv[1], sys.argv[2]
    if command == "chat":
        chat(certs, [int(p) for p in sys.argv[3:6]])
    elif command == "member":
        member(certs, int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif command == "watch":
        watch(certs, int(sys.argv[3]), sys.argv[4], float(sys.argv[5]))
    elif command == "local":
        local(certs, int(sys.argv[3]), sys.argv[4])
    else:
        raise SystemExit("unknown command " + command)
