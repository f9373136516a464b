#!/usr/bin/env python3
# chat1_conformance: checks a chat/1 server (any implementation) against the
# "must"s of PROTOCOL.md, over TLS or its plaintext listener, with several
# connections at once. It prints one line per check (PASS / FAIL / SKIP, the
# PROTOCOL.md section, what was checked and, for FAIL or SKIP, why) and exits
# 0 only when nothing failed (1 otherwise, 2 when it cannot start). It learns
# the command rate, line limit and capabilities from CAP LS; limits a server
# does not advertise are the spec's defaults unless given as options. It
# changes only what a client can change (rooms it creates, its own names,
# messages in those rooms), so point it at a test server, not a busy one.
# Python 3 standard library only. It does not start or stop any server.
import argparse
import sys

from chat1kit import checks_commands, checks_extensions, checks_framing, checks_identity, checks_limits, checks_timeouts
from chat1kit.report import Report
from chat1kit.wire import Target

GROUPS = {"framing": checks_framing, "commands": checks_commands, "identity": checks_identity,
          "limits": checks_limits, "extensions": checks_extensions, "timeouts": checks_timeouts}


def arguments(argv):
    a = argparse.ArgumentParser(description="chat/1 server conformance checks (PROTOCOL.md)")
    a.add_argument("--host", default="127.0.0.1")
    a.add_argument("--port", type=int, required=True)
    a.add_argument("--plain", action="store_true", help="the port is a plaintext chat/1 listener")
    a.add_argument("--ca", help="CA file that verifies the server (TLS, and STARTTLS on --plain)")
    a.add_argument("--server-name", help="name to verify the server certificate against (default: --host)")
    a.add_argument("--cert", help="a client certificate the server's client CA accepts (user 1)")
    a.add_argument("--key")
    a.add_argument("--cert2", help="a second user's client certificate (another name)")
    a.add_argument("--key2")
    for name, what in (("bad-cert", "a client certificate the server must refuse (e.g. from another CA)"),
                       ("noeku-cert", "a client certificate from the right CA without any extended key usage"),
                       ("unnamed-cert", "a valid client certificate whose CN is not a usable chat name")):
        a.add_argument("--" + name, nargs=2, metavar=("CERT", "KEY"), help=what)
    a.add_argument("--max-rooms-per-client", type=int, default=16)
    a.add_argument("--max-rooms", type=int, default=1000)
    a.add_argument("--max-list-items", type=int, default=100)
    a.add_argument("--max-name-length", type=int, default=32)
    a.add_argument("--max-room-name-length", type=int, default=32)
    a.add_argument("--first-command-timeout", type=float, help="the server's, in seconds: check it (slow)")
    a.add_argument("--idle-timeout", type=float, help="the server's, in seconds: check the idle PING (slow)")
    a.add_argument("--ping-grace", type=float)
    a.add_argument("--only", action="append", choices=sorted(GROUPS), help="run only these groups (repeatable)")
    a.add_argument("--verbose", action="store_true", help="tracebacks with failures")
    args = a.parse_args(argv)
    if not args.plain and not args.ca:
        a.error("--ca is needed for TLS (or give --plain for a plaintext listener)")
    for first, second in (("cert", "key"), ("cert2", "key2")):
        if bool(getattr(args, first)) != bool(getattr(args, second)):
            a.error(f"--{first} and --{second} go together")
    return args


def learn(t):
    """The rate, line limit and capabilities the server advertises (spec defaults without CAP)."""
    with t.connect() as p:
        reply = p.command("CAP LS")
    if not reply.startswith("OK CAP LS"):
        return reply
    for word in reply.split(" ")[3:]:
        name, _, value = word.partition("=")
        t.caps[name] = value
    if "rate" in t.caps:
        burst, per_second = t.caps["rate"].split("/")
        t.rate = (int(burst), float(per_second))
    if "line" in t.caps:
        t.max_line = int(t.caps["line"])
    return reply


def main(argv):
    args = arguments(argv)
    t = Target(args)
    try:
        caps = learn(t)
    except Exception as error:
        print(f"chat1_conformance: cannot talk to {args.host}:{args.port}: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    transport = "plaintext" if args.plain else "TLS"
    print(f"chat/1 conformance against {args.host}:{args.port} ({transport}); {caps}", flush=True)
    report = Report(verbose=args.verbose)
    for name, module in GROUPS.items():
        if not args.only or name in args.only:
            module.register(report, t)
    return report.summary()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
