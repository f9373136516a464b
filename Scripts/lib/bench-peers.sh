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
#   - bench_report MANIFEST OUT_JSON META_JSON: runs Scripts/lib/bench-report.py
#     (the merged JSON, the comparison table with both sides' CPU and
#     "load-bound" marks, the floors under it).
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

# bench_report MANIFEST OUT_JSON META_JSON: Scripts/lib/bench-report.py (see there).
bench_report() {
  python3 "$REPO_ROOT/Scripts/lib/bench-report.py" "$@"
}
