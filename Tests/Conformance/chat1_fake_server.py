#!/usr/bin/env python3
# chat1_fake_server: a scripted fake chat/1 server for testing a client
# implementation. It listens on loopback (TLS with --cert/--key, or plaintext
# with --plain), prints "listening PORT", plays one scenario to each client
# connection (chat, ping, close; or untrusted, which serves a certificate
# the client must refuse) and checks what the client sends: framing, one
# command per line, the line limit, a reply to PING, no plaintext on a TLS
# port (no fallback). It prints one PASS/FAIL line per check and exits 0 only
# when nothing failed (1 otherwise, 2 on bad options). Python 3 standard
# library only. It does not start the client: run the client against the
# printed port yourself (README.md in this directory shows how).
import argparse
import socket
import ssl
import sys
import time

from chat1kit.fake_checks import LineAudit
from chat1kit.fake_scenarios import SCENARIOS, Connection
from chat1kit.report import Report


def arguments(argv):
    a = argparse.ArgumentParser(description="fake chat/1 server that checks a client")
    a.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one; printed)")
    a.add_argument("--plain", action="store_true", help="plaintext chat/1 instead of TLS")
    a.add_argument("--cert", help="server certificate chain (PEM) for TLS")
    a.add_argument("--key", help="its private key")
    a.add_argument("--scenario", choices=sorted(SCENARIOS) + ["untrusted"], default="chat")
    a.add_argument("--connections", type=int, default=1, help="client connections to serve before exiting")
    a.add_argument("--timeout", type=float, default=30, help="seconds to wait for each client connection")
    args = a.parse_args(argv)
    if not args.plain and not (args.cert and args.key):
        a.error("TLS needs --cert and --key (or give --plain)")
    return args


def first_byte(sock, timeout):
    sock.settimeout(timeout)
    try:
        return sock.recv(1, socket.MSG_PEEK)
    except (socket.timeout, OSError):
        return b""


def serve_untrusted(sock, context, report):
    """The client must refuse our certificate: the handshake fails, nothing else arrives."""
    byte = first_byte(sock, 10)
    report.line("PASS" if byte == b"\x16" else "FAIL", "1", "client: opened with a TLS ClientHello", "" if byte == b"\x16" else f"first byte {byte!r}")
    try:
        tls = context.wrap_socket(sock, server_side=True)
    except (ssl.SSLError, OSError) as error:
        report.line("PASS", "3", "client: refused a server certificate it cannot verify", str(error)[:80])
        return
    tls.sendall(b"HELLO chat/1 fakechat tls ~guest1 tls #lobby\n")
    tls.settimeout(2)
    try:
        data = tls.recv(100)
    except (ssl.SSLError, OSError):
        data = b""
    report.line("FAIL" if data else "PASS", "3", "client: refused a server certificate it cannot verify",
                f"it completed the handshake and sent {data[:40]!r}" if data else "closed after the handshake (TLS 1.3 alert)")


def main(argv):
    args = arguments(argv)
    report = Report()
    context = None
    if not args.plain:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(args.cert, args.key)
    listener = socket.create_server(("127.0.0.1", args.port))
    print(f"listening {listener.getsockname()[1]}", flush=True)
    listener.settimeout(args.timeout)
    transport = "plain" if args.plain else "tls"
    audit = LineAudit(max_line=4096)
    for _ in range(args.connections):
        try:
            sock, _ = listener.accept()
        except socket.timeout:
            report.line("FAIL", "1", "client: connected", f"no connection within {args.timeout:.0f} s")
            break
        if args.scenario == "untrusted":
            serve_untrusted(sock, context, report)
            sock.close()
            continue
        if context:
            byte = first_byte(sock, 10)
            report.line("PASS" if byte == b"\x16" else "FAIL", "1", "client: opened with a TLS ClientHello (no plaintext)",
                        "" if byte == b"\x16" else f"first byte {byte!r}")
            try:
                sock = context.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError) as error:
                report.line("FAIL", "1", "client: TLS handshake", str(error)[:100])
                continue
        conn = Connection(sock, audit)
        SCENARIOS[args.scenario](conn, report, transport)
        sock.close()
    if args.scenario == "untrusted":  # a fallback would come as another connection, in plaintext
        listener.settimeout(2)
        try:
            extra, _ = listener.accept()
            byte = first_byte(extra, 2)
            report.line("FAIL" if byte and byte != b"\x16" else "PASS", "1", "client: no plaintext retry after the refusal",
                        f"a new connection began with {byte!r}" if byte and byte != b"\x16" else "")
            extra.close()
        except socket.timeout:
            report.line("PASS", "1", "client: no plaintext retry after the refusal")
    else:
        audit.report(report)
    listener.close()
    counts = report.counts
    print(f"chat/1 fake server ({args.scenario}): {counts['PASS']} passed, {counts['FAIL']} failed", flush=True)
    return 0 if counts["FAIL"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
