#!/usr/bin/env python3
"""disconnect_scenarios.py: ends chat/1 sessions in every way the server must
tell apart in its log, and prints which local port each scenario used, so a
test can find the server's "disconnected" line for it (peer=127.0.0.1:PORT).

Usage: disconnect_scenarios.py HOST PLAIN_PORT TLS_PORT CA CERT KEY

Needs a server started with --first-command-timeout 1 --idle-timeout 1
--ping-grace 1 --max-queue 4096 --command-burst 100000
--commands-per-second 100000. Prints "SCENARIO PORT" lines, then "done";
the shutdown scenario's socket is left open (the test stops the server and
then reads its log). Each socket has a 20 s timeout. Loopback only.
"""
import socket
import ssl
import struct
import sys
import time

HOST, PLAIN, TLS, CA, CERT, KEY = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]


def plain(speak_first=True):
    sock = socket.create_connection((HOST, PLAIN), timeout=20)
    stream = sock.makefile("rwb")
    if speak_first:
        stream.write(b"PING first\n"); stream.flush()
    assert stream.readline().startswith(b"HELLO"), "no greeting"
    if speak_first:
        stream.readline()  # OK PING first
    return sock, stream


def with_certificate():
    context = ssl.create_default_context(cafile=CA)
    context.load_cert_chain(CERT, KEY)
    sock = context.wrap_socket(socket.create_connection((HOST, TLS), timeout=20), server_hostname="localhost")
    stream = sock.makefile("rwb")
    assert stream.readline().startswith(b"HELLO"), "no greeting"
    return sock, stream


def report(name, sock):
    print(name, sock.getsockname()[1], flush=True)


def drain(stream):
    while stream.readline():
        pass


def main():
    sock, stream = plain()
    report("bye", sock)
    stream.write(b"NICK renamed-one\nBYE\n"); stream.flush()
    drain(stream)

    sock, stream = plain(speak_first=False)
    report("first-command-timeout", sock)
    drain(stream)  # the server closes it after its NOTICE idle

    sock, stream = plain()
    report("idle-timeout", sock)
    drain(stream)  # PING arrives, goes unanswered, NOTICE idle, close

    sock, stream = plain()
    report("peer-reset", sock)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()

    first, first_stream = with_certificate()
    report("replaced", first)
    second, second_stream = with_certificate()
    drain(first_stream)
    second_stream.write(b"BYE\n"); second_stream.flush()
    drain(second_stream)

    # A reader that stops reading while a room fills its queue (the server's limit is 4096 bytes).
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect((HOST, PLAIN))
    slow.sendall(b"JOIN #flood\n")
    report("slow-reader", slow)
    sender, sender_stream = plain()
    sender_stream.write(b"JOIN #flood\n"); sender_stream.flush()
    line = b"SAY " + b"x" * 3000 + b"\n"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        sender_stream.write(line * 20); sender_stream.flush()
        sender_stream.write(b"WHO #flood\n"); sender_stream.flush()
        reply = sender_stream.readline()
        while not reply.startswith(b"OK WHO"):
            reply = sender_stream.readline()
        if b" 1 " in reply:  # only the sender is left: the slow reader was dropped
            break
    sender_stream.write(b"BYE\n"); sender_stream.flush()
    drain(sender_stream)
    slow.close()

    sock, stream = plain()
    report("shutdown", sock)
    print("done", flush=True)
    sys.stdin.read()  # keep the last socket open until the test is finished with it


if __name__ == "__main__":
    main()
