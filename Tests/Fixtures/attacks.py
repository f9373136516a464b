#!/usr/bin/env python3
"""attacks.py: hostile clients against a running tlschatd, each while two
well-behaved users (alice and bob) keep chatting; every attack asserts that
bob receives every message alice sends, in order, within a deadline.

Usage: attacks.py ATTACK TLS_PORT PLAIN_PORT CERT_DIR
Loopback only; every loop is bounded in count and time.
"""
import os, random, select, signal, socket, ssl, subprocess, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chat_scenarios as chat  # Peer, expect; it reads ports and certs from sys.argv like we do

ATTACK, TLS_PORT, PLAIN_PORT, CERTS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
Peer, expect = chat.Peer, chat.expect


def honest_pair():
    alice, bob = Peer("alice"), Peer("bob")
    return alice, bob


def slowloris():
    """100 clients send half a ClientHello and stall; the server drops them at its handshake deadline (2 s here)."""
    stalled = []
    for _ in range(100):
        s = socket.create_connection(("127.0.0.1", TLS_PORT), timeout=10)
        s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(20))
        stalled.append(s)
    alice, bob = honest_pair()
    start = time.time()
    watch(alice, bob, 30, "during-slowloris")
    expect(time.time() - start < 5, "honest chat slowed down by stalled handshakes")
    deadline = time.time() + 15
    for s in stalled:
        s.settimeout(max(0.1, deadline - time.time()))
        expect(s.recv(100) == b"", "a stalled handshake was not dropped")  # EOF at the deadline


def watch(alice, bob, count, tag):
    """alice says numbered lines; bob gets all, in order; alice gets one OK per line."""
    for i in range(count):
        alice.send_raw(b"SAY %s %d\n" % (tag.encode(), i))
    replies = [alice.reply() for _ in range(count)]
    expect(all(r.startswith("OK SAY #lobby sent ") for r in replies), replies[:3])
    got = [bob.event("MSG #lobby alice") for _ in range(count)]
    expect(got == ["MSG #lobby alice cert %s %d" % (tag, i) for i in range(count)], "bob missed or reordered messages")


def endless_line():
    alice, bob = honest_pair()
    attacker = Peer(plain=True)
    chunk = b"x" * 65536
    try:
        for _ in range(160):  # 10 MiB without a newline, bounded
            attacker.send_raw(chunk)
    except OSError:
        pass  # the server closed on us: fine
    watch(alice, bob, 30, "endless")
    reply = attacker.reply()
    expect(reply.startswith("ERR LINE_TOO_LONG "), reply)
    attacker.expect_eof()


def trickle():
    alice, bob = honest_pair()
    attacker = Peer(plain=True)
    for byte in b"SAY slow":
        attacker.send_raw(bytes([byte]))
        watch(alice, bob, 3, "trickle-%d" % byte)
    attacker.send_raw(b"\n")
    expect(attacker.reply() == "OK SAY #lobby sent 2/2", "the trickled command still works")


def slow_reader():
    """A member of a busy room stops reading: it is dropped, nobody else waits for it."""
    alice, bob = honest_pair()
    bob.cmd("WHO")  # a command, as a real client sends: a slow (sanitizer) run must not end bob's first-command wait
    lazy = Peer(plain=True, receive_buffer=4096)
    received = []

    def bob_reads():  # bob keeps reading while alice talks, as a real client would
        try:
            while len(received) < 8000:
                received.append(bob.event("MSG #lobby alice"))
        except (OSError, EOFError) as error:
            received.append("bob stopped: %r" % error)

    reader = threading.Thread(target=bob_reads, daemon=True)
    reader.start()
    text = "y" * 1000
    replies = []
    for batch in range(80):  # 8 MB to a reader that never reads: more than kernel buffers (4 MiB) and the queue cap
        alice.send_raw("".join("SAY %d %s\n" % (batch * 100 + i, text) for i in range(100)).encode())
        replies += [alice.reply() for _ in range(100)]  # a batch at a time, so bob (a Python thread) keeps up
    reader.join(timeout=60)
    expect(any(r.endswith("sent 1/2") for r in replies), "the slow reader was never dropped: %r" % sorted(set(r[-12:] for r in replies)))
    expect(len(received) == 8000 and all(line.startswith("MSG #lobby alice cert %d " % i) for i, line in enumerate(received)),
           "bob lost messages: %r" % received[-1:])
    expect(bob.cmd("WHO").startswith("OK WHO #lobby 2 "), "the slow reader is gone")


def message_flood():
    alice, bob = honest_pair()
    flooder = Peer(plain=True)
    flooder.send_raw(b"SAY flood\n" * 2000)
    watch(alice, bob, 30, "flood")
    replies = []
    try:  # refused until its allowance of refusals runs out, then closed with NOTICE flood
        while len(replies) < 2000:
            replies.append(flooder.reply())
    except EOFError:
        pass
    limited = sum(r.startswith("ERR RATE_LIMITED") for r in replies)
    expect(256 <= limited <= 400 and len(replies) < 500, "flood not limited: %d of %d" % (limited, len(replies)))
    expect(any(e.startswith("NOTICE flood") for e in flooder.events), "no NOTICE flood: %r" % flooder.events[-3:])
    floods = [e for e in bob.events if " flood" in e]
    expect(len(floods) <= 100, "too many flood messages reached bob: %d" % len(floods))


def garbage_after_handshake():
    alice, bob = honest_pair()
    attacker = Peer()  # TLS, anonymous
    rng = random.Random(7)
    attacker.send_raw(bytes(rng.randrange(256) for _ in range(20000)))
    watch(alice, bob, 30, "garbage")  # the attacker gets error replies or is closed; nobody else notices


def plaintext_to_tls():
    alice, bob = honest_pair()
    before = alice.cmd("WHO")
    s = socket.create_connection(("127.0.0.1", TLS_PORT), timeout=5)
    s.sendall(b"HELLO chat/1\nSAY not encrypted\n")
    data = b""
    start = time.time()
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    expect(time.time() - start < 3, "not closed promptly")
    expect(b"not encrypted" not in data and b"HELLO chat/1" not in data, "plaintext was answered as chat: %r" % data)
    watch(alice, bob, 10, "after-plaintext")
    expect(alice.cmd("WHO") == before, "the plaintext connection was counted as a user")


def tls_to_plain():
    """A TLS client dialling the plaintext port: refused at once, never greeted, never a user."""
    alice, bob = honest_pair()
    before = alice.cmd("WHO")
    raw = socket.create_connection(("127.0.0.1", PLAIN_PORT), timeout=5)
    context = ssl.create_default_context(cafile=os.path.join(CERTS, "ca.pem"))
    start = time.time()
    try:
        context.wrap_socket(raw, server_hostname="localhost")
    except (ssl.SSLError, OSError) as error:
        print("handshake refused as expected:", error)
    else:
        raise AssertionError("a TLS handshake succeeded on the plaintext port")
    expect(time.time() - start < 3, "not refused promptly")
    expect(not any(e.startswith("JOINED #lobby ~") for e in alice.events + bob.events), "the TLS client was announced as a user")
    watch(alice, bob, 10, "after-tls-to-plain")
    expect(alice.cmd("WHO") == before, "the TLS client was counted as a user")


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fd_exhaustion():
    """The server runs under `ulimit -n 64`: connections past its descriptors wait in the
    backlog, the server does not spin, and it serves them once descriptors free up."""
    server_pid = int(sys.argv[5])
    alice, bob = honest_pair()
    flood = []
    for _ in range(80):
        s = socket.create_connection(("127.0.0.1", PLAIN_PORT), timeout=10)
        flood.append(s)
    greeted, pending = [], list(flood)
    deadline = time.time() + 1.5  # whoever the server can take is greeted well within this
    while pending and time.time() < deadline:
        readable, _, _ = select.select(pending, [], [], max(0.0, deadline - time.time()))
        for s in readable:
            pending.remove(s)
            if s.recv(200).startswith(b"HELLO"):
                greeted.append(s)
    waiting = pending
    expect(waiting, "the descriptor limit was never reached")
    before = cpu_seconds(server_pid)
    time.sleep(1.0)  # measuring a rate over a fixed window, not waiting for a condition
    spent = cpu_seconds(server_pid) - before
    expect(spent < 0.3, "the server spun while out of descriptors: %.2f CPU s in 1 s" % spent)
    watch(alice, bob, 10, "out-of-fds")
    for s in greeted[:len(waiting) + 5]:
        s.close()
    for s in waiting:
        s.settimeout(10)
        expect(s.recv(200).startswith(b"HELLO chat/1"), "a waiting client was never served")
    watch(alice, bob, 10, "recovered")


def flood_connect(port):
    """One connection from 127.0.0.2: another source address than alice's and bob's."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    s.bind(("127.0.0.2", 0))
    s.connect(("127.0.0.1", port))
    return s


def connection_flood():
    """The server runs with --max-clients-per-address 20. 300 connections from one address
    (TLS and plaintext ports) get 20 slots; the rest are closed at once, before any greeting
    or handshake, and the flood neither slows alice and bob nor keeps them from connecting."""
    alice, bob = honest_pair()
    held = [flood_connect(PLAIN_PORT if i % 2 else TLS_PORT) for i in range(300)]
    watch(alice, bob, 20, "during-connection-flood")
    closed = 0
    for s in held:
        readable, _, _ = select.select([s], [], [], 0.5 if s.getpeername()[1] == PLAIN_PORT else 0.05)
        if readable:
            try:
                closed += s.recv(200) == b""
            except ConnectionResetError:
                closed += 1
    expect(closed == 280, "expected exactly 280 of 300 connections refused, saw %d" % closed)
    start = time.time()
    for _ in range(1000):  # churn: connect and hang up, as fast as we can
        flood_connect(PLAIN_PORT).close()
    watch(alice, bob, 20, "during-churn")
    newcomer = Peer(plain=True)  # 127.0.0.1 is unaffected by 127.0.0.2's flood
    expect(newcomer.cmd("PING still-open") == "OK PING still-open", "a newcomer was refused")
    expect(time.time() - start < 20, "the churn took too long")
    for s in held:
        s.close()
    for attempt in range(50):  # slots free as soon as the server sees the hang-ups
        s = flood_connect(PLAIN_PORT)
        if s.recv(200).startswith(b"HELLO chat/1"):
            break
        s.close()
        time.sleep(0.1)
    else:
        raise AssertionError("the flooding address never got a slot back")


def kill9():
    alice, bob = honest_pair()
    child = subprocess.Popen([sys.executable, "-c", (
        "import socket,ssl,sys,time\n"
        "ctx=ssl.create_default_context(cafile=sys.argv[1])\n"
        "s=ctx.wrap_socket(socket.create_connection(('127.0.0.1', int(sys.argv[2]))), server_hostname='localhost')\n"
        "print(s.recv(200).split()[4].decode(), flush=True)\n"
        "s.sendall(b'SAY half a rec'); time.sleep(30)\n"),
        os.path.join(CERTS, "ca.pem"), str(TLS_PORT)], stdout=subprocess.PIPE)
    name = child.stdout.readline().strip().decode()  # its ~guest name, from HELLO
    expect(name.startswith("~guest"), "child did not start: %r" % name)
    expect(alice.event("JOINED #lobby " + name).startswith("JOINED"), alice.events)
    child.send_signal(signal.SIGKILL)  # mid-record: the half line never completes
    child.wait(timeout=10)
    expect(alice.event("PARTED #lobby " + name) == "PARTED #lobby %s tls quit" % name, alice.events)
    watch(alice, bob, 20, "after-kill")


ATTACKS = {f.__name__: f for f in [slowloris, endless_line, trickle, slow_reader, message_flood,
                                   garbage_after_handshake, plaintext_to_tls, tls_to_plain, fd_exhaustion,
                                   connection_flood, kill9]}

if __name__ == "__main__":
    chat.run(ATTACKS, ATTACK)
