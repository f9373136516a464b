#!/usr/bin/env python3
"""history_crash.py: the client side of the crash test of durable history
(PROTOCOL.md section 11: "acknowledged means stored"), written from
PROTOCOL.md with Python's standard library only (socket, ssl).

  history_crash.py flood TLS_PORT CERT_DIR ROOM CLIENTS ACK_FILE [SECONDS]
      CLIENTS connections opt in with `CAP REQ history`, join ROOM and send
      SAY as fast as they can, pipelined (at most WINDOW unanswered each),
      until the server goes away (or for SECONDS, then wait for the replies
      still owed; FLOOD_RATE caps the pace). Prints "FLOODING" once every connection
      has its first `OK SAY ... id=N`; at the end writes every acknowledged
      message to ACK_FILE as "ID TEXT" lines and prints a summary. A reply
      that is not `OK SAY ROOM sent N/M id=ID` (e.g. `unstored`) fails it.
  history_crash.py verify TLS_PORT CERT_DIR ROOM ACK_FILE
      Reads the whole history of ROOM (`HISTORY ROOM AFTER 0 LIMIT 500`,
      then AFTER the last id while the reply says `more`) and checks: ids
      strictly increasing, no text stored twice, only texts that were sent,
      each client's messages in the order it sent them, every acknowledged
      (id, text) present; then one new SAY must get an id above every id
      stored or acknowledged before the crash. Prints "PASSED verify".

Texts are "c<client>-n<sequence>". Every read has a timeout; 127.0.0.1 only.
"""
import os, socket, ssl, sys, threading, time

TIMEOUT = 10
# Set FLOOD_TAG when several floods share a room, so their texts stay apart ("ca0-n5", "cb0-n5").
TAG = os.environ.get("FLOOD_TAG", "")
# FLOOD_ALLOW_UNSTORED=1: a reply `... unstored` (a store failing over) is counted, not a failure;
# such a message is not acknowledged as stored, so `verify` does not look for it.
ALLOW_UNSTORED = os.environ.get("FLOOD_ALLOW_UNSTORED") == "1"
# FLOOD_RATE=N: each client sends at most N messages a second (a store that batches takes tens
# of thousands a second; the history `verify` reads back must stay a few pages).
RATE = float(os.environ.get("FLOOD_RATE", "0"))
WINDOW = 64


def connect(port, certs):
    raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
    return ctx.wrap_socket(raw, server_hostname="localhost")


class Lines:
    """Line reader over a socket: `next()` returns one line, None at end of stream."""

    def __init__(self, sock):
        self.sock, self.buffer, self.pending = sock, b"", []

    def next(self):
        while not self.pending:
            try:
                chunk = self.sock.recv(262144)
            except (OSError, ssl.SSLError):
                chunk = b""
            if not chunk:
                return None
            self.buffer += chunk
            *complete, self.buffer = self.buffer.split(b"\n")
            self.pending = [line.decode() for line in reversed(complete)]
        return self.pending.pop()

    def reply(self):
        """The next OK/ERR line (events are skipped); None at end of stream."""
        while True:
            line = self.next()
            if line is None or line.split(" ", 1)[0] in ("OK", "ERR"):
                return line


def command(sock, lines, text):
    sock.sendall(text.encode() + b"\n")
    return lines.reply()


def open_session(port, certs, room):
    sock = connect(port, certs)
    lines = Lines(sock)
    hello = lines.next()
    if not (hello or "").startswith("HELLO chat/1 "):
        raise AssertionError("greeting: %r" % hello)
    for text, wanted in (("CAP REQ history", "OK CAP REQ history"), ("JOIN " + room, "OK JOIN " + room)):
        reply = command(sock, lines, text)
        if not (reply or "").startswith(wanted):
            raise AssertionError("%s: %r" % (text, reply))
    return sock, lines


class Flooder(threading.Thread):
    def __init__(self, number, sock, lines, room, first_ack, stop_at=None):
        super().__init__(daemon=True)
        self.number, self.sock, self.lines, self.room, self.first_ack = number, sock, lines, room, first_ack
        self.stop_at = stop_at
        self.acks, self.failure, self.sent, self.unstored = [], None, 0, 0

    def run(self):
        sent_texts, answered, prefix = [], 0, "OK SAY %s sent " % self.room
        started = time.time()
        try:
            while True:
                stopping = self.stop_at is not None and time.time() > self.stop_at
                if stopping and answered == self.sent:
                    return
                room_left = 0 if stopping else WINDOW - (self.sent - answered)
                if RATE > 0:
                    room_left = max(0, min(room_left, int(RATE * (time.time() - started)) + 1 - self.sent))
                    if room_left == 0 and self.sent == answered:
                        time.sleep(0.01)
                        continue
                batch = ["c%s%d-n%d" % (TAG, self.number, self.sent + i) for i in range(room_left)]
                if batch:
                    self.sock.sendall("".join("SAY %s\n" % text for text in batch).encode())
                    sent_texts += batch
                    self.sent += len(batch)
                reply = self.lines.reply()
                if reply is None:
                    return
                text = sent_texts[answered]
                answered += 1
                words = reply.split(" ")
                if ALLOW_UNSTORED and reply.startswith(prefix) and len(words) == 6 and words[5] == "unstored":
                    self.unstored += 1
                    continue
                if not reply.startswith(prefix) or len(words) != 6 or not words[5].startswith("id="):
                    self.failure = "reply to SAY %s: %r" % (text, reply)
                    return
                self.acks.append((int(words[5][3:]), text))
                self.first_ack.set()
        except (OSError, ssl.SSLError):
            return  # the server was killed while we wrote


def flood(port, certs, room, clients, ack_file, seconds=None):
    sessions = [open_session(port, certs, room) for _ in range(clients)]
    stop_at = time.time() + seconds if seconds else None
    flooders = []
    for number, (sock, lines) in enumerate(sessions):
        flooders.append(Flooder(number, sock, lines, room, threading.Event(), stop_at))
        flooders[-1].start()
    for flooder in flooders:
        if not flooder.first_ack.wait(TIMEOUT):
            raise AssertionError("client %d: no acknowledged SAY (%s)" % (flooder.number, flooder.failure))
    print("FLOODING", flush=True)
    for flooder in flooders:
        flooder.join(60)
    failures = [f.failure for f in flooders if f.failure]
    with open(ack_file, "w") as out:
        for flooder in flooders:
            out.writelines("%d %s\n" % ack for ack in flooder.acks)
    print("sent %d, acknowledged %d, unstored %d"
          % (sum(f.sent for f in flooders), sum(len(f.acks) for f in flooders), sum(f.unstored for f in flooders)))
    if failures:
        raise AssertionError("; ".join(failures))


def read_history(sock, lines, room):
    """Every stored message of `room` as (id, text), paging with AFTER while the reply says `more`."""
    stored, after, retries = [], 0, 0
    while True:
        sock.sendall(("HISTORY %s AFTER %d LIMIT 500\n" % (room, after)).encode())
        page = []
        while True:
            line = lines.next()
            if line is None:
                raise AssertionError("connection closed during HISTORY")
            if line.startswith("HIST "):
                words = line.split(" ", 6)  # HIST ID TIME TARGET FROM TRUST TEXT
                if words[3] != room:
                    raise AssertionError("HIST of another target: %r" % line)
                page.append((int(words[1]), words[6]))
            elif line.startswith("OK HISTORY ") or line.startswith("ERR "):
                break
        if line.startswith("ERR HISTORY_FAILED") and not page and retries < 60:
            retries += 1  # a store that cannot read for a moment (a cluster electing a leader): ask again
            time.sleep(0.5)
            continue
        words = line.split(" ")
        if words[:3] != ["OK", "HISTORY", room] or int(words[3]) != len(page):
            raise AssertionError("HISTORY reply %r after %d HIST lines" % (line, len(page)))
        stored += page
        if words[4:] != ["more"]:
            return stored
        if not page:
            raise AssertionError("'more' with an empty page")
        after = page[-1][0]


def verify(port, certs, room, ack_file):
    with open(ack_file) as source:
        acks = [(int(i), t) for i, t in (line.rstrip("\n").split(" ", 1) for line in source)]
    sock, lines = open_session(port, certs, room)
    stored = read_history(sock, lines, room)
    ids = [i for i, _ in stored]
    problems = []
    if any(b <= a for a, b in zip(ids, ids[1:])):
        problems.append("ids not strictly increasing")
    texts = [t for _, t in stored]
    if len(set(texts)) != len(texts):
        doubles = sorted({t for t in texts if texts.count(t) > 1})[:5]
        problems.append("stored twice: %s" % doubles)
    last_sequence = {}
    for text in texts:
        client, _, sequence = text.partition("-n")
        if not client.startswith("c") or not sequence.isdigit():
            problems.append("a text nobody sent: %r" % text)
            break
        if int(sequence) <= last_sequence.get(client, -1):
            problems.append("%s's messages out of order at %r" % (client, text))
            break
        last_sequence[client] = int(sequence)
    by_id = dict(stored)
    missing = [(i, t) for i, t in acks if by_id.get(i) != t]
    if missing:
        shown = ["%d %s (stored: %r)" % (i, t, by_id.get(i)) for i, t in missing[:5]]
        problems.append("%d acknowledged messages not stored as acknowledged: %s" % (len(missing), shown))
    highest = max(ids + [i for i, _ in acks] + [0])
    reply = command(sock, lines, "SAY after the restart")
    words = (reply or "").split(" ")
    if len(words) != 6 or not words[5].startswith("id=") or int(words[5][3:]) <= highest:
        problems.append("first SAY after the restart: %r, but id %d was used before" % (reply, highest))
    print("stored %d, acknowledged %d (acknowledged but not stored: %d), highest id %d"
          % (len(stored), len(acks), len(missing), highest))
    if problems:
        raise AssertionError("; ".join(problems))


def main():
    mode, port, certs, room = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    if mode == "flood":
        flood(port, certs, room, int(sys.argv[5]), sys.argv[6], float(sys.argv[7]) if len(sys.argv) > 7 else None)
    else:
        verify(port, certs, room, sys.argv[5])
    print("PASSED " + mode, flush=True)


if __name__ == "__main__":
    main()
