# shellcheck shell=bash
# What each Scripts/bench scenario runs, per server: the tlschat-bench
# arguments of a scenario (scaled down by --quick), the dialect a server
# speaks, and what a peer cannot do at all (SKIP), only in part (LIMIT) or
# only more gently (ADJUST). Source it after common.sh; it defines
# dialect_of, scenario_args and limit_of (reading QUICK, OPENSSL_SKIP and
# NCAT_MAX_CONNS, setting ARGS, SKIP, LIMIT and ADJUST). It starts nothing.

# (openssl: irrelevant, the handshake scenario never registers; "lines" = no chat protocol.)
dialect_of() { case "$1" in tlschatd) echo chat1 ;; ncat|openssl) echo lines ;; *) echo irc ;; esac; }

# scenario_args SCENARIO: the tlschat-bench subcommand and its figures (--quick scales down).
scenario_args() {
  local d=10 w=2 idle=15000 rate=2000 hold=5 c1000=1000
  (( QUICK )) && d=2 w=1 idle=2000 rate=1000 hold=2 c1000=200
  case "$1" in
    fanout100|fanout100-history|fanout100-mixed) ARGS=(fanout --clients 100 --senders 10 --window 16 --duration "$d" --warmup "$w") ;;
    fanout1000) ARGS=(fanout --clients "$c1000" --senders 10 --rate 100 --duration "$d" --warmup "$w") ;;
    idle) ARGS=(idle --connections "$idle" --connect-rate "$rate" --hold "$hold") ;;
    handshake) ARGS=(handshake --concurrency 8 --duration "$d") ;;
    handshake-cert) ARGS=(handshake --concurrency 8 --duration "$d" --cert Certs/alice.pem --key Certs/alice.key) ;;
  esac
}

# What a peer cannot do at all (SKIP), only in part (LIMIT: the figure shows "n/a (limit)"), or
# only more gently (ADJUST: a note; the measured figure stands).
limit_of() {  # SERVER SCENARIO
  SKIP="" LIMIT="" ADJUST=""
  local i
  if [[ "$1" != tlschatd && ( "$2" == fanout100-history || "$2" == history-read ) ]]; then
    SKIP="keeps no history (tlschatd's history figures are compared with its fanout100 under the table)"
  elif [[ "$1" != tlschatd && "$2" == fanout100-cluster* || "$1" != tlschatd && "$2" == fanout100-2nodes ]]; then
    SKIP="links no servers (tlschatd's cluster figures are compared with its own fanout100 under the table)"
  elif [[ "$1" == ncat && "$2" == fanout100-mixed ]]; then
    SKIP="speaks no IRC (fanout100-mixed puts half of tlschatd's clients on its IRC listener)"
  elif [[ "$1" == openssl && "$2" != handshake && "$2" != handshake-cert ]]; then
    SKIP="$OPENSSL_SKIP"
  elif [[ "$1" == ncat && "$2" == handshake-cert ]]; then
    SKIP="ncat never requests a client certificate (same handshake as 'handshake')"
  elif [[ "$1" == ncat ]]; then
    for (( i = 0; i < ${#ARGS[@]}; i++ )); do
      if [[ "${ARGS[i]}" == --connections || "${ARGS[i]}" == --clients ]] && (( ARGS[i+1] > NCAT_MAX_CONNS - 10 )); then
        LIMIT="ncat --chat holds at most ~1018 connections (select(), FD_SETSIZE 1024; ran ${ARGS[i]} $(( NCAT_MAX_CONNS - 10 )) instead of ${ARGS[i+1]})"
        ARGS[i+1]=$(( NCAT_MAX_CONNS - 10 ))
      fi
    done
  fi
  if [[ "$1" != tlschatd && "$2" == fanout100-mixed ]]; then
    ADJUST="every client on IRC (the peer speaks only IRC): its fanout100 again, beside tlschatd's mixed run"
  fi
  if [[ "$1" == ncat || "$1" == ngircd ]] && [[ "${ARGS[0]:-}" == fanout ]]; then
    # Their listen backlog is 10 (compile-time) and they accept one connection per loop pass:
    # at tlschat-bench's default 1000 connects/s handshakes time out. Setup only, not measured.
    ARGS+=(--connect-rate 100); ADJUST="clients connected at 100/s (listen backlog 10)"
  fi
}
