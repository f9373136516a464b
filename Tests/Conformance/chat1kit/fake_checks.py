# fake_checks: what the fake chat/1 server checks in the bytes a client sends
# (PROTOCOL.md sections 1, 2 and 6): every line ends with LF (CRLF allowed),
# is valid UTF-8, holds no forbidden character (so one line is one command),
# stays within the line limit the fake server advertised, starts with a
# chat/1 verb; and, on a TLS port, that the first byte is a TLS handshake
# record (a client never falls back to plaintext). It records PASS/FAIL
# through a report.Report; it does not play scenarios (fake_scenarios does).
import re

VERBS = {"NICK", "JOIN", "PART", "SAY", "MSG", "ROOMS", "WHO", "WHOAMI", "PING", "HELP", "BYE", "CAP", "HISTORY",
         "CERTONLY", "STARTTLS"}
FORBIDDEN = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069]")


class LineAudit:
    """Collects the problems of every line a client sent; one PASS/FAIL per rule at the end."""

    def __init__(self, max_line):
        self.max_line = max_line
        self.problems = {"framing": [], "utf8": [], "text": [], "length": [], "verb": []}
        self.lines = []

    def feed(self, raw):
        """raw: one line with its LF removed (a CR before it is allowed)."""
        body = raw[:-1] if raw.endswith(b"\r") else raw
        if len(body) > self.max_line:
            self.problems["length"].append(f"{len(body)} bytes")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            self.problems["utf8"].append(repr(body[:60]))
            return None
        if FORBIDDEN.search(text):
            self.problems["text"].append(repr(text[:60]))
        if text.strip(" \t") == "":
            return None
        verb = text.lstrip(" ").split(" ", 1)[0]
        if verb.upper() not in VERBS:
            self.problems["verb"].append(repr(text[:60]))
        self.lines.append(text)
        return text

    def leftover(self, partial):
        if partial:
            self.problems["framing"].append(f"unterminated bytes at close: {partial[:60]!r}")

    def report(self, report):
        rules = [("framing", "1", "every line the client sent ended with LF"),
                 ("utf8", "1", "every line was valid UTF-8"),
                 ("text", "1", "no control, separator or bidi characters: one command per line"),
                 ("length", "7", f"no line over the advertised line={self.max_line}"),
                 ("verb", "2", "every line started with a chat/1 verb")]
        for key, section, name in rules:
            found = self.problems[key]
            report.line("FAIL" if found else "PASS", section, "client: " + name, "; ".join(found[:3]))
