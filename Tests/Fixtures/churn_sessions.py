#!/usr/bin/env python3
"""churn_sessions.py: opens and ends many chat/1 sessions one after another, as
an attacker without a certificate could, to show whether a server keeps memory
per finished session.

Usage: churn_sessions.py HOST PLAIN_PORT TLS_PORT CA_FILE COUNT

Each round uses the plaintext port (3 of 4 rounds) or TLS (1 of 4), waits for
the HELLO greeting (on plaintext after sending a PING first, which the server
answers at once instead of waiting 100 ms for a TLS ClientHello), then ends the session one of four ways in turn: BYE and
wait for the close, a plain close, a TCP reset (SO_LINGER 0), or an idle PING
then close. Prints "done N" and exits 0; exits 1 with a reason on the first
failure. Loopback only, bounded by COUNT and a 10 s timeout per socket. It does
not measure anything itself: the test reads the server's state afterwards.
"""
import socket
import ssl
import struct
import sys


def session(host, port, context, ending):
    raw = socket.create_connection((host, port), timeout=10)
    sock = context.wrap_socket(raw, server_hostname="localhost") if context else raw
    stream = sock.makefile("rwb")
    if not context:  # speak first: the plaintext port greets a silent client only after 100 ms
        stream.write(b"PING first\n"); stream.flush()
    greeting = stream.readline()
    if not greeting.startswith(b"HELLO chat/1 "):
        raise RuntimeError(f"no greeting: {greeting!r}")
    if ending == 0:
        stream.write(b"BYE\n"); stream.flush()
        while stream.readline():
            pass
    elif ending == 2:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    elif ending == 3:
        stream.write(b"PING x\n"); stream.flush()
        stream.readline()
    stream.close()
    sock.close()


def main():
    host, plain_port, tls_port, ca_file, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    context = ssl.create_default_context(cafile=ca_file)
    for index in range(count):
        use_tls = index % 4 == 3
        try:
            session(host, tls_port if use_tls else plain_port, context if use_tls else None, index % 4 if not use_tls else index % 3)
        except Exception as error:  # noqa: BLE001 - any failure ends the run with its reason
            print(f"session {index} failed: {error}", file=sys.stderr)
            return 1
    print(f"done {count}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
