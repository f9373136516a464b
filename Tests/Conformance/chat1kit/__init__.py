# chat1kit: the modules of the chat/1 conformance kits (Tests/Conformance).
# wire: connections to a server under test; report: PASS/FAIL/SKIP lines;
# checks_*: groups of server checks; fake_*: the scripted fake server for
# client implementations. Python 3 standard library only.
