# report: one output line per conformance check, "PASS|FAIL|SKIP  section  name
# [- detail]", and the tally that decides the exit status (0 only when nothing
# failed). A check is a function run under `Report.check`; it fails by raising
# CheckFailed (or any other exception, reported as an error of the kit's run),
# and skips by raising Skip with the reason. It does not talk to servers.
import sys
import traceback


class CheckFailed(Exception):
    """The implementation under test broke a rule: the message says which and what was seen."""


class Skip(Exception):
    """The check cannot run here (not advertised, not given, not applicable)."""


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


class Report:
    def __init__(self, out=sys.stdout, verbose=False):
        self.out = out
        self.verbose = verbose
        self.counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}

    def line(self, status, section, name, detail=""):
        self.counts[status] += 1
        text = f"{status}  §{section:<5} {name}"
        if detail:
            text += f" - {detail}"
        print(text, file=self.out, flush=True)

    def check(self, section, name, function, *arguments):
        """Runs one check; returns True when it passed."""
        try:
            function(*arguments)
        except Skip as skip:
            self.line("SKIP", section, name, str(skip))
            return False
        except CheckFailed as failure:
            self.line("FAIL", section, name, str(failure))
            return False
        except Exception as error:  # a broken connection or a timeout is a failure of the server too
            detail = f"{type(error).__name__}: {error}"
            if self.verbose:
                detail += "\n" + traceback.format_exc()
            self.line("FAIL", section, name, detail)
            return False
        self.line("PASS", section, name)
        return True

    def summary(self):
        c = self.counts
        print(f"chat/1 conformance: {c['PASS']} passed, {c['FAIL']} failed, {c['SKIP']} skipped", file=self.out, flush=True)
        return 0 if c["FAIL"] == 0 else 1
