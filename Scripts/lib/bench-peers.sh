# shellcheck shell=bash
# Helpers for Scripts/bench: the peer servers (ncat --chat, ngIRCd, InspIRCd)
# it measures next to tlschatd, the `openssl s_server` handshake reference,
# and the final report. Source it after common.sh; it defines functions and
# variables only.
#
# What it does:
#   - bench_free_port: a free TCP port on 127.0.0.1 (bind port 0, close).
#   - bench_wait_ready PID PORT SECONDS: polls a TCP connect to
#     127.0.0.1:PORT until it succeeds, the deadline passes or PID exits.
#   - bench_tls_probe PORT: one TLS handshake with `openssl s_client`
#     verified against Certs/ca.pem; prints "PROTOCOL CIPHER GROUP".
#   - bench_wait_closed PORT SECONDS: waits until the server has no
#     established connection left (the probe's is gone).
#   - ngircd_config DIR PORT: writes DIR/ngircd.conf (TLS port on 127.0.0.1
#     only, no plaintext port, per-address and connection limits off, penalty
#     time ("flood control") off, no DNS/IDENT/PAM lookups, PINGs after 1 h)
#     plus DIR/dh.pem (the named ffdhe2048 group, so GnuTLS does not spend
#     seconds generating DH parameters at every start). Started as root it
#     drops to "nobody" after loading the key. Compile-time limits no config
#     lifts (26.1 source): listen backlog 10, one accept per loop pass, a
#     client with 32 KiB of unsent output is disconnected, and reads of
#     2 KiB: plaintext GnuTLS already buffered beyond that waits for the next
#     event or the 1 s poll timeout (keep TLS writes to it <= 2 KiB).
#   - inspircd_config DIR PORT: writes DIR/inspircd.conf (TLS via the GnuTLS
#     module on 127.0.0.1 only, connect class without flood, per-address,
#     sendq/recvq or registration limits that could throttle the benchmark,
#     backlog 4096). InspIRCd 3.15.0 (Debian) segfaults on SIGTERM at exit,
#     after the measurement; Scripts/bench sets `ulimit -c 0`.
#   - openssl_server_cmd SCENARIO PORT: sets OPENSSL_SERVER_CMD to an
#     `openssl s_server` on 127.0.0.1:PORT (TLS 1.3, Certs/server.pem, no
#     session tickets, -quiet so stdin at EOF does not stop it; for
#     handshake-cert -verify 1 -CAfile Certs/ca.pem: requests a client
#     certificate and verifies its chain, like tlschatd's --client-auth
#     optional). It is the same system OpenSSL 3.0 library tlschatd uses,
#     single-threaded, serving one connection at a time: the floor for what
#     an OpenSSL server costs per handshake, so Scripts/bench runs it for the
#     handshake scenarios only (OPENSSL_SKIP says why for the others).
#   - bench_report MANIFEST OUT_JSON META_JSON: merges the per-run JSON
#     files listed in MANIFEST into OUT_JSON and prints the comparison table,
#     then the floors (META_JSON's floors, from Scripts/lib/bench-floors.sh)
#     under it. A server whose role in META_JSON
#     is "reference" (openssl) is shown and compared with, but is not a
#     chat-server peer: it never counts as "best peer".
# What it does not do: start or stop anything (Scripts/bench does, by PID),
# touch system configuration (/etc/ngircd, /etc/inspircd) or system services,
# or listen anywhere but 127.0.0.1.

# Measured limits of the peers, used to cap and annotate the scenarios.
# ncat 7.93 --chat uses select(): an accepted descriptor >= FD_SETSIZE (1024)
# aborts the whole process ("Attempt to FD_SET fd 1024"); with stdio, the
# listener and its own files that leaves 1018 clients, so cap with margin.
# shellcheck disable=SC2034  # used by Scripts/bench
NCAT_MAX_CONNS=1010
# shellcheck disable=SC2034  # used by Scripts/bench
OPENSSL_SKIP="openssl s_server serves one connection at a time (handshake reference only, not a chat server)"

bench_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

bench_wait_ready() {
  local pid="$1" port="$2" deadline=$(( SECONDS + $3 ))
  while (( SECONDS < deadline )); do
    kill -0 "$pid" 2>/dev/null || return 1
    if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# bench_wait_closed PORT SECONDS: until no connection to 127.0.0.1:PORT is established.
bench_wait_closed() {
  local deadline=$(( SECONDS + $2 ))
  while (( SECONDS < deadline )) &&
        [[ -n "$(ss -Htn state established "( sport = :$1 )" 2>/dev/null)" ]]; do
    sleep 0.1
  done
}

bench_tls_probe() {
  local out
  out="$(timeout 10 openssl s_client -connect "127.0.0.1:$1" -servername localhost \
    -CAfile "$REPO_ROOT/Certs/ca.pem" -verify_return_error -brief </dev/null 2>&1)" || return 1
  grep -q '^Verification: OK' <<<"$out" || return 1
  printf '%s %s %s\n' "$(sed -n 's/^Protocol version: //p' <<<"$out")" \
    "$(sed -n 's/^Ciphersuite: //p' <<<"$out")" \
    "$(sed -n 's/^Server Temp Key: //p' <<<"$out" | sed 's/^ECDH, //; s/, .*//; s/ /_/g')"
}

ngircd_config() {
  local dir="$1" port="$2"
  mkdir -p "$dir/conf.d"
  [[ -s "$dir/dh.pem" ]] ||
    openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out "$dir/dh.pem" 2>/dev/null ||
    die "openssl could not write the ffdhe2048 DH parameters for ngIRCd"
  cat >"$dir/ngircd.conf" <<EOF
# ngIRCd 26.1 for Scripts/bench, generated; see BENCHMARKS.md.
[Global]
Name = bench.ngircd.local
Info = TLSChat benchmark peer
AdminInfo1 = bench
AdminInfo2 = loopback
AdminEMail = bench@localhost
Listen = 127.0.0.1
# No plaintext port: TLS only, like tlschatd.
Ports =
MotdPhrase = bench
[Limits]
# 0 = unlimited connections, per address and channels per user.
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
MaxNickLength = 30
# 0 disables "penalty time", ngIRCd's flood control (default: 1 s of
# penalty whenever a client has more than 3 commands buffered: ~14 msgs/s).
MaxPenaltyTime = 0
PingTimeout = 3600
PongTimeout = 3600
[Options]
# No per-connection DNS, IDENT or PAM lookups (each would fork a helper).
DNS = no
Ident = no
PAM = no
IncludeDir = $dir/conf.d
[SSL]
CertFile = $REPO_ROOT/Certs/server.pem
KeyFile = $REPO_ROOT/Certs/server.key
DHFile = $dir/dh.pem
Ports = $port
EOF
}

inspircd_config() {
  local dir="$1" port="$2"
  mkdir -p "$dir/data" "$dir/logs"
  cat >"$dir/inspircd.conf" <<EOF
# InspIRCd 3 for Scripts/bench, generated; see BENCHMARKS.md.
<server name="bench.inspircd.local" description="TLSChat benchmark peer" network="bench">
<admin name="bench" nick="bench" email="bench@localhost">
<module name="ssl_gnutls">
<sslprofile name="bench" provider="gnutls" certfile="$REPO_ROOT/Certs/server.pem"
            keyfile="$REPO_ROOT/Certs/server.key" dhfile="$dir/dh.pem" requestclientcert="yes"
            priority="NORMAL:-VERS-SSL3.0">
# (The default adds %SERVER_PRECEDENCE: P-256 first, so an X25519-only client gets a HelloRetryRequest.)
<bind address="127.0.0.1" port="$port" type="clients" sslprofile="bench">
# Flood control off: penalty threshold 4e6 commands (x1000 stays in 32 bits), decay 4e6 commands/s.
<connect name="bench" allow="127.0.0.1" maxconnwarn="no" localmax="100000" globalmax="100000"
         limit="100000" threshold="4000000" commandrate="4000000000" fakelag="no" recvq="65536"
         softsendq="16777216" hardsendq="16777216" pingfreq="3600" timeout="3600" maxchans="1000"
         resolvehostnames="no" useident="no" modes="">
<performance netbuffersize="10240" somaxconn="4096" softlimit="20000" clonesonconnect="no"
             timeskipwarn="0" quietbursts="yes">
<security hidesplits="no" hidebans="no" maxtargets="20" announceinvites="none">
<limits maxnick="30" maxchan="64" maxmodes="20" maxident="11" maxhost="64" maxquit="255"
        maxtopic="307" maxkick="255" maxreal="128" maxgecos="128" maxaway="200">
<options defaultmodes="nt" allowzerolimit="no" exemptchanops="">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="$dir/logs/ircd.log">
<pid file="$dir/data/inspircd.pid">
<path configdir="$dir" datadir="$dir/data" logdir="$dir/logs">
EOF
  [[ -s "$dir/dh.pem" ]] ||
    openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out "$dir/dh.pem" 2>/dev/null ||
    die "openssl could not write the ffdhe2048 DH parameters for InspIRCd"
}

openssl_server_cmd() {
  OPENSSL_SERVER_CMD=(openssl s_server -accept "127.0.0.1:$2" -cert "$REPO_ROOT/Certs/server.pem"
    -key "$REPO_ROOT/Certs/server.key" -tls1_3 -quiet -no_ticket)
  [[ "$1" != handshake-cert ]] || OPENSSL_SERVER_CMD+=(-verify 1 -CAfile "$REPO_ROOT/Certs/ca.pem")
}

# bench_report MANIFEST OUT_JSON META_JSON: MANIFEST has one tab-separated
# line per run: server, scenario, status, note, result file, command.
bench_report() {
  python3 - "$@" <<'PY'
import json, sys
manifest, out_path, meta_path = sys.argv[1:4]
meta = json.load(open(meta_path))
runs = []
for line in open(manifest):
    server, scenario, status, note, path, command = line.rstrip("\n").split("\t")
    result = None
    if path:
        try:
            result = json.loads(open(path).read().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError) as error:
            if status != "failed":
                status, note = "failed", f"unreadable JSON ({error})"
    runs.append({"server": server, "scenario": scenario, "status": status, "note": note,
                 "command": command, "result": result})
meta["runs"] = runs
with open(out_path, "w") as f:
    json.dump(meta, f, indent=2)
    f.write("\n")

# (scenario, key, label, higher is better)
figures = [
    ("fanout100", "deliveries_per_server_cpu_second", "fanout100 deliveries/server-CPU-s", True),
    ("fanout100", "deliveries_per_second", "fanout100 deliveries/s", True),
    ("fanout100", "latency_us.p99", "fanout100 latency p99 us", False),
    ("fanout1000", "deliveries_per_server_cpu_second", "fanout1000 deliveries/server-CPU-s", True),
    ("fanout1000", "deliveries_per_second", "fanout1000 deliveries/s", True),
    ("fanout1000", "latency_us.p99", "fanout1000 latency p99 us", False),
    ("fanout1000", "lost", "fanout1000 lost", False),
    ("idle", "connections_held", "idle connections held", True),
    ("idle", "rss_kib_per_connection", "idle server RSS KiB/conn", False),
    ("handshake", "handshakes_per_server_cpu_second", "handshake /server-CPU-s", True),
    ("handshake", "handshakes_per_second", "handshake /s", True),
    ("handshake-cert", "handshakes_per_server_cpu_second", "handshake-cert /server-CPU-s", True),
    ("handshake-cert", "handshakes_per_second", "handshake-cert /s", True),
]
servers = list(dict.fromkeys(r["server"] for r in runs))
peers = [s for s in servers if s != "tlschatd"]
# References (openssl s_server) are compared with, but are not chat servers: never "best peer".
references = [s for s in peers if meta.get("servers", {}).get(s, {}).get("role") == "reference"]
chat_peers = [p for p in peers if p not in references]
by = {(r["server"], r["scenario"]): r for r in runs}

def value(run, key):
    if not run or run["status"] != "ok" or not run["result"]:
        return None
    v = run["result"]
    for part in key.split("."):
        v = v.get(part) if isinstance(v, dict) else None
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None

def cell(run, key):
    v = value(run, key)
    if v is not None:
        return f"{v:.0f}" if abs(v) >= 100 or v == int(v) else f"{v:.3g}"
    if not run:
        return "-"
    return {"skipped": "skip", "limited": "n/a (limit)", "failed": "failed"}.get(run["status"], "n/a")

def ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b not in (None, 0) else "-"

def name(s):
    return f"{s} (ref*)" if s in references else s

head = (["figure"] + [name(s) for s in servers] + [f"tlschatd/{name(p)}" for p in peers]
        + (["vs best peer"] if len(chat_peers) > 1 else []))
rows = []
for scenario, key, label, higher in figures:
    if not any((s, scenario) in by for s in servers):
        continue
    mine = value(by.get(("tlschatd", scenario)), key)
    row = [label + ("" if higher else " (lower=better)")]
    row += [cell(by.get((s, scenario)), key) for s in servers]
    row += [ratio(mine, value(by.get((p, scenario)), key)) for p in peers]
    if len(chat_peers) > 1:
        vals = [v for v in (value(by.get((p, scenario)), key) for p in chat_peers) if v is not None]
        row.append(ratio(mine, (max if higher else min)(vals)) if vals else "-")
    rows.append(row)
widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
for r in [head] + rows:
    print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
for s in references:
    print(f"* {s}: reference, not a chat server ({meta['servers'][s].get('version', '')}: "
          "openssl s_server, single-threaded, one connection at a time; handshake scenarios only"
          + ("; not in 'vs best peer'" if len(chat_peers) > 1 else "") + ")")
for name, floor in meta.get("floors", {}).items():
    f = floor.get("result") or {}
    if floor.get("status") != "ok":
        print(f"floor {name}: {floor.get('status')}" + (f" - {floor['note']}" if floor.get("note") else ""))
    elif name == "send" and "round_ms" in f:
        print(f"kernel floor: one {f['message_bytes']}-byte send to each of {f['connections']} loopback sockets: "
              f"round p50 {f['round_ms']['p50']:.1f} ms (p90 {f['round_ms']['p90']:.1f}), "
              f"{f['cpu_us_per_send']['p50']:.1f} us CPU per send (p90 {f['cpu_us_per_send']['p90']:.1f}; "
              f"= {f['sends_per_cpu_second']:.0f} sends/CPU-s) (Scripts/lib/send-floor.py)")
    elif name.startswith("handshake") and "handshakes_per_server_cpu_second" in f:
        mine = value(by.get(("tlschatd", name)), "handshakes_per_server_cpu_second")
        print(f"OpenSSL floor, {name}: {f['handshakes_per_server_cpu_second']:.0f} in-memory handshakes per CPU-s "
              f"({f['server_cpu_us_per_handshake']:.0f} us each, tlschatd's TLS settings, no sockets)"
              + (f"; tlschatd reaches {mine / f['handshakes_per_server_cpu_second']:.0%} of it" if mine else "")
              + " (tlschat-bench handshake-floor)")
notes = [r for r in runs if r["status"] != "ok" or r["note"]]
if notes:
    print("\nnotes:")
    for r in notes:
        print(f"  {r['server']} {r['scenario']}: {r['status']}" + (f" - {r['note']}" if r["note"] else ""))
print(f"\nraw results: {out_path}")
PY
}
