# shellcheck shell=bash
# History figures for Scripts/bench (scenario history-read): what a HISTORY
# request costs tlschatd on a room of 1,000 and of 1,000,000 stored messages
# (it must not grow with the room: an index range, not a scan), and the
# database's bytes per stored 100-byte message, by Scripts/lib/bench-history.py
# (server pinned to core 0, client to core 1). Source it after common.sh; it
# defines one function. It does not start any other server; none of the peers
# keeps history, so there is nothing to compare with but tlschatd itself.
#
# run_history_read RUN_DIR TLSCHATD QUICK DRY: sets STATUS, NOTE, RESULT, CMD_TEXT.
run_history_read() {
  local run="$1" binary="$2" quick="$3" dry="$4" rc
  local cmd=(python3 "$REPO_ROOT/Scripts/lib/bench-history.py" "$binary" "$run/history-read" --server-cpu 0 --client-cpu 1)
  (( quick )) && cmd+=(--big 100000 --requests 500)
  CMD_TEXT="${cmd[*]}" RESULT="$run/tlschatd-history-read.json" STATUS=ok NOTE=""
  (( quick )) && NOTE="quick: 100,000 messages in the big room"
  log "tlschatd history-read: $CMD_TEXT"
  if (( dry )); then STATUS=skipped NOTE="dry run"; RESULT=""; return 0; fi
  if timeout --kill-after=10 600 "${cmd[@]}" >"$RESULT" 2>"$run/tlschatd-history-read.log"; then :; else
    rc=$?; STATUS=failed NOTE="exit $rc: $(tail -n 1 "$run/tlschatd-history-read.log")"
  fi
  log "  $STATUS${NOTE:+: $NOTE}"
}
