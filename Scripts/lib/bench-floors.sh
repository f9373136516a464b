# shellcheck shell=bash
# Floors for Scripts/bench: what the machine and the TLS library allow before
# any chat server does its own work, measured in the same run as the servers
# and printed under the table. Source it after common.sh; it defines functions
# only.
#
# What it does:
#   - run_floors RUN_DIR BENCH_BINARY DRY SCENARIO...: for the scenarios given,
#     measures
#       send            (fanout1000) `tlschat-bench send-floor`: one 100-byte send to each
#                       of 999 loopback sockets per round from a thread on core 0 (like the
#                       server), read by a thread on core 1 (like the load generator), no
#                       server: no server fans out faster with one write per socket;
#       handshake       (handshake) `tlschat-bench handshake-floor`: full TLS 1.3 handshakes
#                       in memory with tlschatd's own TLS settings, server side only, pinned
#                       to core 0: OpenSSL's cost per handshake with no sockets at all;
#       handshake-cert  (handshake-cert) the same with a client certificate the server
#                       verifies.
#     Each is bounded by `timeout`; with DRY=1 only the commands are recorded.
#     It writes RUN_DIR/floors.tsv (name, status, note, command, result file).
# What it does not do: start a server, or leave loopback.

run_floors() {
  local run="$1" bench="$2" dry="$3" name command out rc status note
  shift 3
  local scenarios=" $* "
  : >"$run/floors.tsv"
  for name in send handshake handshake-cert; do
    case "$name" in
      send) [[ "$scenarios" == *" fanout1000 "* ]] || continue
        command="$bench send-floor --connections 999 --rounds 50 --bytes 100 --gap-ms 10 --sender-cpu 0 --reader-cpu 1 --json" ;;
      handshake) [[ "$scenarios" == *" handshake "* ]] || continue
        command="taskset -c 0 $bench handshake-floor --handshakes 2000 --json" ;;
      handshake-cert) [[ "$scenarios" == *" handshake-cert "* ]] || continue
        command="taskset -c 0 $bench handshake-floor --handshakes 1000 --cert Certs/alice.pem --key Certs/alice.key --json" ;;
    esac
    out="$run/floor-$name.json" status=ok note=""
    log "floor $name: $command"
    if (( dry )); then
      status=skipped note="dry run"
    else
      # shellcheck disable=SC2086  # our own word list
      if timeout --kill-after=10 120 $command >"$out" 2>"$run/floor-$name.log"; then :; else
        rc=$?; status=failed
        note="exit $rc$( (( rc == 124 )) && echo ' (timeout)'): $(tail -n 1 "$run/floor-$name.log")"
      fi
      log "  $status${note:+: $note}"
    fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$status" "$note" "$command" "$out" >>"$run/floors.tsv"
  done
}
