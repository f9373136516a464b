# shellcheck shell=bash
# Cluster figures for Scripts/bench (tlschatd only; none of the peers links
# servers this way):
#   fanout100-cluster  3 tlschatd nodes over a 3-server NATS cluster with
#                      JetStream (history replicated 3 times), 99 clients in
#                      one room spread over the nodes (33 each), 10 senders:
#                      fan-out 100 across machines, on one machine;
#   fanout100-2nodes   2 tlschatd nodes sharing one port (--reuse-port) over
#                      one NATS server (R1), 100 clients: one machine's cores.
# CPU per delivery counts every tlschatd and nats-server process (the
# generator's --server-pid for each); the run also writes how that CPU was
# split between the nodes and NATS (RUN/<scenario>.split.json). Source it
# after common.sh and bench-peers.sh; it defines run_cluster_fanout. It
# stops every process it starts by PID.
#
# run_cluster_fanout SCENARIO RUN_DIR BENCH TLSCHATD QUICK DRY: sets STATUS, NOTE, RESULT, CMD_TEXT.
run_cluster_fanout() {
  local scenario="$1" run="$2" bench="$3" binary="$4" quick="$5" dry="$6"
  local dir="$run/$scenario" d=10 w=2 nodes=3 servers=3 replicas=3 rc i
  (( quick )) && d=2 w=1
  [[ "$scenario" == fanout100-2nodes ]] && nodes=2 servers=1 replicas=1
  RESULT="$run/tlschatd-$scenario.json" STATUS=ok NOTE="" CMD_TEXT=""
  if (( dry )); then STATUS=skipped NOTE="dry run"; RESULT=""; return 0; fi
  rm -rf "$dir"; mkdir -p "$dir"
  local nats_pids=() node_pids=() ports=() seeds=() routes=() route_list
  local nats_bin; nats_bin="$(command -v nats-server || echo /usr/sbin/nats-server)"
  for (( i = 0; i < servers; i++ )); do ports+=("$(bench_free_port)"); routes+=("nats://127.0.0.1:$(bench_free_port)"); done
  route_list="$(IFS=,; echo "${routes[*]}")"
  for (( i = 0; i < servers; i++ )); do
    local cluster_args=()
    (( servers > 1 )) && cluster_args=(--cluster_name bench --cluster "${routes[i]}" --routes "$route_list")
    taskset -c 0 "$nats_bin" -a 127.0.0.1 -p "${ports[i]}" -n "nats-$i" -js -sd "$dir/store-$i" "${cluster_args[@]}" \
      >"$dir/nats-$i.log" 2>&1 &
    nats_pids+=($!)
    seeds+=(--cluster "nats://127.0.0.1:${ports[i]}")
  done
  stop_cluster() {
    local pid
    for pid in "${node_pids[@]}" "${nats_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${node_pids[@]}" "${nats_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  }
  local deadline=$((SECONDS + 30))
  until grep -qs "Server is ready" "$dir"/nats-*.log && { (( servers == 1 )) || grep -qs "metadata leader" "$dir"/nats-*.log; }; do
    if (( SECONDS > deadline )); then STATUS=failed NOTE="NATS did not start (see $dir)"; stop_cluster; return 0; fi
    sleep 0.2
  done
  local listen_port reuse=() chat_ports=()
  [[ "$scenario" == fanout100-2nodes ]] && { listen_port="$(bench_free_port)"; reuse=(--reuse-port); }
  for (( i = 0; i < nodes; i++ )); do
    local port="${listen_port:-0}"
    taskset -c 0 "$binary" --cert Certs/server.pem --key Certs/server.key --listen "127.0.0.1:$port" "${reuse[@]}" \
      "${seeds[@]}" --cluster-replicas "$replicas" --history "$dir/unused.sqlite" --max-clients 20000 \
      --max-clients-per-address 20000 --command-burst 1000000000 --commands-per-second 1000000000 \
      --first-command-timeout 3600 --idle-timeout 3600 --ping-grace 3600 --lobby none \
      >"$dir/node-$i.out" 2>"$dir/node-$i.log" </dev/null &
    node_pids+=($!)
    local got=""
    deadline=$((SECONDS + 40))
    until got="$(awk '/^listening tls/ {print $4; exit}' "$dir/node-$i.out" 2>/dev/null)" && [[ -n "$got" ]]; do
      if (( SECONDS > deadline )) || ! kill -0 "${node_pids[i]}" 2>/dev/null; then
        STATUS=failed NOTE="node $i did not start: $(tail -n 1 "$dir/node-$i.log")"; stop_cluster; return 0
      fi
      sleep 0.2
    done
    chat_ports+=("$got")
  done
  local clients=100 also=() pids=()
  [[ "$scenario" == fanout100-cluster ]] && clients=99
  if [[ "$scenario" == fanout100-cluster ]]; then for p in "${chat_ports[@]:1}"; do also+=(--also-port "$p"); done; fi
  for pid in "${node_pids[@]}" "${nats_pids[@]}"; do pids+=(--server-pid "$pid"); done
  local cmd=(taskset -c 1 "$bench" fanout --clients "$clients" --senders 10 --window 16 --duration "$d" --warmup "$w"
    --host 127.0.0.1 --port "${chat_ports[0]}" "${also[@]}" --ca Certs/ca.pem --server-name localhost "${pids[@]}" --json)
  CMD_TEXT="${cmd[*]}"
  log "tlschatd $scenario: $nodes nodes (PIDs ${node_pids[*]}), $servers NATS (PIDs ${nats_pids[*]})"
  log "  bench: $CMD_TEXT"
  local before_nodes before_nats
  before_nodes="$(cpu_of "${node_pids[@]}")"; before_nats="$(cpu_of "${nats_pids[@]}")"
  if timeout --kill-after=10 "$(( quick ? 300 : 900 ))" "${cmd[@]}" >"$RESULT" 2>"$run/tlschatd-$scenario.bench.log"; then :; else
    rc=$?; STATUS=failed NOTE="tlschat-bench exit $rc: $(tail -n 1 "$run/tlschatd-$scenario.bench.log")"
  fi
  printf '{"tlschatd_cpu_seconds": %s, "nats_server_cpu_seconds": %s, "nodes": %d, "nats_servers": %d, "replicas": %d}\n' \
    "$(awk -v a="$before_nodes" -v b="$(cpu_of "${node_pids[@]}")" 'BEGIN {printf "%.2f", b - a}')" \
    "$(awk -v a="$before_nats" -v b="$(cpu_of "${nats_pids[@]}")" 'BEGIN {printf "%.2f", b - a}')" \
    "$nodes" "$servers" "$replicas" >"$run/$scenario.split.json"
  stop_cluster
  log "  $STATUS${NOTE:+: $NOTE} (CPU split: $(cat "$run/$scenario.split.json"))"
}

# cpu_of PID...: utime + stime of the processes, in seconds.
cpu_of() {
  local pid total=0 ticks
  ticks="$(getconf CLK_TCK)"
  for pid in "$@"; do
    total="$(awk -v t="$total" -v hz="$ticks" '{sub(/^.*\) /, ""); split($0, f, " "); printf "%.2f", t + (f[12] + f[13]) / hz}' "/proc/$pid/stat" 2>/dev/null || echo "$total")"
  done
  echo "$total"
}
