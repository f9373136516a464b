# checks_identity: PROTOCOL.md section 3 (names and trust) and the pinned
# rules around it: the trust a connection gets (cert / tls / plain), the
# certificate name and its fingerprint (SHA-256 of the leaf's DER), NICK's
# check order (NOT_ALLOWED first for cert users), renaming to one's own name
# in another case, anonymous names (~, reserved, in use, length), MSG carol
# never reaching ~carol, replacement of an older session, and certificates
# that fail verification (another CA, no clientAuth EKU, no EKU at all),
# which must end the handshake rather than give `tls`. Certificate checks
# skip without the certificates they need (--cert, --cert2, --bad-cert ...).
import re
import ssl

from .report import Skip, expect
from .wire import fingerprint, fresh_room, join_fresh


def need_cert(t, index=0):
    if t.plain:
        raise Skip("needs TLS (plaintext run)")
    if t.user(index) is None:
        raise Skip(f"needs --cert{index + 1 if index else ''}/--key{index + 1 if index else ''}")
    return t.user(index)


def trust_of_transport(t):
    with t.connect() as p:
        wanted = "plain" if t.plain else "tls"
        expect(p.trust == wanted and p.name.startswith("~"), f"anonymous {wanted} connection greeted as {p.name} {p.trust}")
        reply = p.command("WHOAMI")
        expect(reply == f"OK WHOAMI {p.name} {wanted} {wanted} - {p.room}", f"WHOAMI got {reply!r}")


def cert_identity(t):
    cert = need_cert(t)
    with t.connect(cert) as p:
        expect(p.trust == "cert", f"a verified certificate gave trust {p.trust}")
        expect(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}", p.name) is not None, f"cert name {p.name!r}")
        words = p.command("WHOAMI").split(" ")
        expect(words[2:6] == [p.name, "cert", "tls", fingerprint(cert[0])],
               f"WHOAMI {words} (fingerprint must be sha256 of the leaf certificate's DER: {fingerprint(cert[0])})")


def nick_cert(t):
    cert = need_cert(t)
    with t.connect(cert) as p:
        for line in ("NICK somebody-else", "NICK ~x", "NICK bad!name", "NICK admin", "NICK " + "a" * 40):
            reply = p.command(line)
            expect(reply.startswith("ERR NOT_ALLOWED"), f"cert user {line!r} got {reply!r} (NOT_ALLOWED comes first)")
        other = p.name.swapcase()
        expect(p.command(f"NICK {other}") == f"OK NICK {p.name}", "NICK with your own name in another case keeps the name")


def nick_anonymous(t):
    longest = t.args.max_name_length
    with t.connect() as a, t.connect() as b:
        room = join_fresh(a, "nk")
        b.command(f"JOIN {room}")
        base = "ck" + fresh_room("")[5:]
        expect(a.command(f"NICK {base}") == f"OK NICK ~{base}", "NICK adds the ~")
        b.event(lambda e: e.startswith(f"RENAMED {a.name} ~{base} "))
        expect(a.command(f"NICK ~{base}") == f"OK NICK ~{base}", "NICK with the current name is OK")
        expect(not [e for e in b.quiet(0.3) if e.startswith("RENAMED")], "NICK with the same name sent RENAMED")
        upper = base.upper()
        expect(a.command(f"NICK {upper}") == f"OK NICK ~{upper}", "an anonymous user may change the case of its name")
        b.event(lambda e: e == f"RENAMED ~{base} ~{upper} {a.trust}")
        for line, code in ((f"NICK {base.lower()}", None), (f"NICK admin", "NAME_RESERVED"), ("NICK ~Operator", "NAME_RESERVED"),
                           ("NICK bad!", "BAD_ARGUMENTS"), ("NICK " + "n" * longest, "BAD_ARGUMENTS"), ("NICK ~", "BAD_ARGUMENTS")):
            if code is None:
                a.command(line)
                continue
            reply = b.command(line)
            expect(reply.startswith(f"ERR {code}"), f"{line!r} got {reply!r}, want {code}")
        reply = b.command(f"NICK {base.upper()}")
        expect(reply.startswith("ERR NAME_IN_USE"), f"a name in use, other case: {reply!r}")
        fits = "m" * (longest - 1)
        expect(b.command("NICK " + fits) == "OK NICK ~" + fits, f"{longest - 1} characters after ~ are allowed")
        expect(b.command("NICK -x") == "OK NICK ~-x", "anonymous names may start with any allowed character")


def msg_bare_name(t):
    with t.connect() as a, t.connect() as b:
        base = "ck" + fresh_room("")[5:]
        a.command(f"NICK {base}")
        reply = b.command(f"MSG {base} hello")
        expect(reply.startswith("ERR NO_SUCH_USER"), f"MSG {base} must not reach ~{base}: {reply!r}")
        expect(b.command(f"MSG ~{base.upper()} hello").startswith(f"OK MSG ~{base} "), "MSG ~NAME (any case) reaches it, spelt as the server spells it")
        a.event(lambda e: e.startswith(f"PRIV {b.name} "))


def replacement(t):
    cert = need_cert(t)
    with t.connect() as probe:
        caps = probe.command("CAP LS")
        if not caps.startswith("OK CAP LS") or "sessions=1" not in caps.split(" "):
            raise Skip(f"server allows several sessions ({caps!r})")
    with t.connect(cert) as old, t.connect() as witness:
        room = join_fresh(old, "rp")
        witness.command(f"JOIN {room}")
        with t.connect(cert) as new:
            old.event(lambda e: e.startswith("NOTICE replaced "))
            expect(old.closed(), "the replaced connection must be closed")
            witness.event(lambda e: e == f"PARTED {room} {old.name} cert quit")
            expect(new.name == old.name, "the new session has the certificate name")


def rejected_certificate(t, option):
    if t.plain:
        raise Skip("needs TLS (plaintext run)")
    pair = getattr(t.args, option.replace("-", "_"))
    if not pair:
        raise Skip(f"needs --{option} CERT KEY")
    try:
        p = t.connect(tuple(pair))
    except (ssl.SSLError, ConnectionResetError, EOFError, BrokenPipeError, OSError):
        return  # the handshake (or the first read after it, TLS 1.3) failed: as required
    with p:
        raise AssertionError(f"a certificate that must fail verification was greeted: {p.hello!r}")


def unusable_name(t):
    if t.plain:
        raise Skip("needs TLS (plaintext run)")
    if not t.args.unnamed_cert:
        raise Skip("needs --unnamed-cert CERT KEY (verifies, but its CN is not a usable name)")
    with t.connect(tuple(t.args.unnamed_cert)) as p:
        expect(p.trust == "tls" and p.name.startswith("~"), f"greeted as {p.name} {p.trust}")
        expect(any(e.startswith("NOTICE identity ") for e in p.events), f"no NOTICE identity after the greeting: {p.events}")


def register(report, t):
    s = report.check
    s("3", "anonymous connection: ~name, trust = transport, WHOAMI", trust_of_transport, t)
    s("3", "certificate: name from CN, trust cert, fingerprint = sha256(DER of leaf) (pinned)", cert_identity, t)
    s("3", "cert NICK: NOT_ALLOWED before any other check; own name in other case OK (pinned)", nick_cert, t)
    s("3", "anonymous NICK: ~ added, case change renames, reserved, in use, length (pinned)", nick_anonymous, t)
    s("3", "MSG carol does not reach ~carol (pinned)", msg_bare_name, t)
    s("3", "a second login with the certificate replaces the first", replacement, t)
    s("3", "a certificate from another CA fails the handshake, never tls (pinned)", rejected_certificate, t, "bad-cert")
    s("3", "a certificate without any EKU fails the handshake (pinned)", rejected_certificate, t, "noeku-cert")
    s("3", "a certificate whose CN is not a usable name: tls + NOTICE identity", unusable_name, t)
