#!/usr/bin/env python3
# bench-report.py: Scripts/bench's report. Merges the per-run JSON results
# listed in MANIFEST (one tab-separated line per run: server, scenario,
# status, note, result file, command) with META_JSON (machine, servers,
# floors) into OUT_JSON, then prints the comparison table: each figure per
# server, the ratio tlschatd/peer, and "vs best peer" when there are several
# chat-server peers. Each scenario also gets two rows of CPU: the server's
# (cores busy: CPU-seconds per second) and the load generator's (share of the
# cores it uses). A run whose generator was above 90% of its cores is
# "load-bound": its figures are marked "!" and every ratio that uses one shows
# "load-bound" instead of a number, since it would compare generators, not
# servers. The floors (Scripts/lib/bench-floors.sh) are printed under the
# table. A server whose role in META_JSON is "reference" (openssl) is shown
# and compared with, but never counts as "best peer".
# Usage: bench-report.py MANIFEST OUT_JSON META_JSON
# What it does not do: measure, start processes, or edit BENCHMARKS.md.
import json
import os
import sys

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

# (scenario, key, label, higher is better; None: shown, never compared)
figures = [
    ("fanout100", "deliveries_per_server_cpu_second", "fanout100 deliveries/server-CPU-s", True),
    ("fanout100", "deliveries_per_second", "fanout100 deliveries/s", True),
    ("fanout100", "latency_us.p99", "fanout100 latency p99 us", False),
    ("fanout100", "server_cpu_share", "fanout100 server CPU (cores busy)", None),
    ("fanout100", "generator_cpu_share", "fanout100 generator CPU (share of its cores)", None),
    ("fanout100", "generator_per_server_cpu", "fanout100 generator CPU / server CPU", None),
    ("fanout100-mixed", "deliveries_per_server_cpu_second", "fanout100 half on IRC deliveries/server-CPU-s", True),
    ("fanout100-mixed", "deliveries_per_second", "fanout100 half on IRC deliveries/s", True),
    ("fanout100-mixed", "latency_us.p99", "fanout100 half on IRC latency p99 us", False),
    ("fanout100-history", "deliveries_per_server_cpu_second", "fanout100+history deliveries/server-CPU-s", True),
    ("fanout100-history", "latency_us.p99", "fanout100+history latency p99 us", False),
    ("fanout100-history", "generator_cpu_share", "fanout100+history generator CPU (share of its cores)", None),
    ("fanout100-cluster", "deliveries_per_server_cpu_second", "fanout100, 3 nodes + 3 NATS: deliveries/server-CPU-s", True),
    ("fanout100-cluster", "latency_us.p50", "fanout100, 3 nodes + 3 NATS: latency p50 us", False),
    ("fanout100-cluster", "latency_us.p99", "fanout100, 3 nodes + 3 NATS: latency p99 us", False),
    ("fanout100-2nodes", "deliveries_per_server_cpu_second", "fanout100, 2 nodes one port + NATS: deliveries/server-CPU-s", True),
    ("fanout100-2nodes", "deliveries_per_second", "fanout100, 2 nodes one port + NATS: deliveries/s", True),
    ("fanout100-2nodes", "latency_us.p99", "fanout100, 2 nodes one port + NATS: latency p99 us", False),
    ("fanout1000", "deliveries_per_server_cpu_second", "fanout1000 deliveries/server-CPU-s", True),
    ("fanout1000", "deliveries_per_second", "fanout1000 deliveries/s", True),
    ("fanout1000", "latency_us.p50", "fanout1000 latency p50 us", False),
    ("fanout1000", "latency_us.p99", "fanout1000 latency p99 us", False),
    ("fanout1000", "lost", "fanout1000 lost", False),
    ("fanout1000", "server_cpu_share", "fanout1000 server CPU (cores busy)", None),
    ("fanout1000", "generator_cpu_share", "fanout1000 generator CPU (share of its cores)", None),
    ("fanout1000", "generator_per_server_cpu", "fanout1000 generator CPU / server CPU", None),
    ("idle", "connections_held", "idle connections held", True),
    ("idle", "rss_kib_per_connection", "idle server RSS KiB/conn", False),
    ("handshake", "handshakes_per_server_cpu_second", "handshake /server-CPU-s", True),
    ("handshake", "handshakes_per_second", "handshake /s", True),
    ("handshake", "server_cpu_share", "handshake server CPU (cores busy)", None),
    ("handshake", "generator_cpu_share", "handshake generator CPU (share of its cores)", None),
    ("handshake-cert", "handshakes_per_server_cpu_second", "handshake-cert /server-CPU-s", True),
    ("handshake-cert", "handshakes_per_second", "handshake-cert /s", True),
    ("handshake-cert", "server_cpu_share", "handshake-cert server CPU (cores busy)", None),
    ("handshake-cert", "generator_cpu_share", "handshake-cert generator CPU (share of its cores)", None),
]
# Memory and connection counts do not depend on how busy the generator was.
LOAD_SENSITIVE = {"fanout100", "fanout100-mixed", "fanout100-history", "fanout100-cluster", "fanout100-2nodes", "fanout1000", "handshake",
                  "handshake-cert"}
servers = list(dict.fromkeys(r["server"] for r in runs))
peers = [s for s in servers if s != "tlschatd"]
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


def load_bound(run):
    return bool(run and run["scenario"] in LOAD_SENSITIVE and (run.get("result") or {}).get("load_bound"))


def cell(run, key):
    v = value(run, key)
    if v is not None:
        text = f"{v:.0f}" if abs(v) >= 100 or v == int(v) else f"{v:.3g}"
        return text + ("!" if load_bound(run) else "")
    if not run:
        return "-"
    return {"skipped": "skip", "limited": "n/a (limit)", "failed": "failed"}.get(run["status"], "n/a")


def ratio(mine_run, other_run, key):
    if load_bound(mine_run) or load_bound(other_run):
        return "load-bound"
    a, b = value(mine_run, key), value(other_run, key)
    return f"{a / b:.2f}x" if a is not None and b not in (None, 0) else "-"


def name(s):
    return f"{s} (ref*)" if s in references else s


head = (["figure"] + [name(s) for s in servers] + [f"tlschatd/{name(p)}" for p in peers]
        + (["vs best peer"] if len(chat_peers) > 1 else []))
rows = []
for scenario, key, label, higher in figures:
    if not any((s, scenario) in by for s in servers):
        continue
    mine = by.get(("tlschatd", scenario))
    row = [label + (" (lower=better)" if higher is False else "")]
    row += [cell(by.get((s, scenario)), key) for s in servers]
    if higher is None:
        row += [""] * (len(peers) + (1 if len(chat_peers) > 1 else 0))
    else:
        row += [ratio(mine, by.get((p, scenario)), key) for p in peers]
        if len(chat_peers) > 1:
            candidates = [by.get((p, scenario)) for p in chat_peers if value(by.get((p, scenario)), key) is not None]
            best = (max if higher else min)(candidates, key=lambda r: value(r, key)) if candidates else None
            row.append(ratio(mine, best, key) if best else "-")
    rows.append(row)
widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
for r in [head] + rows:
    print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
if any(load_bound(r) for r in runs):
    print("! load-bound: tlschat-bench was above 90% of its cores in that run, so the figure measures the load "
          "generator as much as the server; ratios that use it say \"load-bound\"")
paced = [f"{r['server']} {r['scenario']}: {r['result']['bound_by']}" for r in runs
         if r["status"] == "ok" and r["scenario"] in LOAD_SENSITIVE and (r.get("result") or {}).get("bound_by")]
if paced:
    print("what set the pace (server: its core above 90%; generator: load-bound; offered load: neither, the "
          "window or rate did): " + "; ".join(paced))
for s in references:
    print(f"* {s}: reference, not a chat server ({meta['servers'][s].get('version', '')}: "
          "openssl s_server, single-threaded, one connection at a time; handshake scenarios only"
          + ("; not in 'vs best peer'" if len(chat_peers) > 1 else "") + ")")
for floor_name, floor in meta.get("floors", {}).items():
    f = floor.get("result") or {}
    if floor.get("status") != "ok":
        print(f"floor {floor_name}: {floor.get('status')}" + (f" - {floor['note']}" if floor.get("note") else ""))
    elif floor_name == "send" and "round_ms" in f:
        print(f"kernel floor: one {f['message_bytes']}-byte send to each of {f['connections']} loopback sockets "
              f"(sender and reader pinned like server and generator): round p50 {f['round_ms']['p50']:.1f} ms "
              f"(p99 {f['round_ms']['p99']:.1f}), {f['cpu_us_per_send']['p50']:.1f} us sender CPU per send "
              f"(= {f['sends_per_cpu_second']:.0f} sends/CPU-s), median recipient waits "
              f"{f['median_recipient_wait_ms']['p50']:.1f} ms (p99 {f['median_recipient_wait_ms']['p99']:.1f}), "
              f"last {f['last_recipient_wait_ms']['p50']:.1f} ms (tlschat-bench send-floor)")
    elif floor_name.startswith("handshake") and "handshakes_per_server_cpu_second" in f:
        mine = value(by.get(("tlschatd", floor_name)), "handshakes_per_server_cpu_second")
        print(f"OpenSSL floor, {floor_name}: {f['handshakes_per_server_cpu_second']:.0f} in-memory handshakes per CPU-s "
              f"({f['server_cpu_us_per_handshake']:.0f} us each, tlschatd's TLS settings, no sockets)"
              + (f"; tlschatd reaches {mine / f['handshakes_per_server_cpu_second']:.0%} of it" if mine else "")
              + " (tlschat-bench handshake-floor)")
notes = [r for r in runs if r["status"] != "ok" or r["note"]]
if notes:
    print("\nnotes:")
    for r in notes:
        print(f"  {r['server']} {r['scenario']}: {r['status']}" + (f" - {r['note']}" if r["note"] else ""))
print(f"\nraw results: {out_path}")

# History (tlschatd only): the cost of keeping it, and against the peers' fanout100 without it.
with_history = by.get(("tlschatd", "fanout100-history"))
if with_history:
    line = []
    for key, higher in (("deliveries_per_server_cpu_second", True), ("latency_us.p99", False)):
        parts = [f"{ratio(with_history, by.get(('tlschatd', 'fanout100')), key)} of tlschatd without history"]
        candidates = [by.get((p, "fanout100")) for p in chat_peers if value(by.get((p, "fanout100")), key) is not None]
        if candidates:
            best = (max if higher else min)(candidates, key=lambda r: value(r, key))
            parts.append(f"{ratio(with_history, best, key)} of the best peer ({best['server']}) without history")
        line.append(f"{key}: {cell(with_history, key)} ({', '.join(parts)})")
    print("history on (fanout100, synchronous=NORMAL): " + "; ".join(line))
reads = by.get(("tlschatd", "history-read"))
if reads and reads["status"] == "ok" and reads["result"]:
    r = reads["result"]
    rooms = r.get("history_read", {})
    text = ", ".join(f"{v['messages']:,} messages: {v['server_cpu_us_per_request']} us server CPU, round trip p50 "
                     f"{v['round_trip_p50_ms']} ms p99 {v['round_trip_p99_ms']} ms" for v in rooms.values())
    print(f"HISTORY ROOM BEFORE ID LIMIT 100 per request: {text}; database {r['bytes_per_message']} bytes per stored "
          f"{r['text_bytes']}-byte message (Scripts/lib/bench-history.py)")
elif reads:
    print(f"history-read: {reads['status']}" + (f" - {reads['note']}" if reads["note"] else ""))

# Cluster (tlschatd only): CPU per delivery against one node in the same run, and where it went.
# One node is measured twice: without history (fanout100, --history none) and as tlschatd runs
# by default, with its SQLite history (fanout100-history); the cluster stores every message too.
single = by.get(("tlschatd", "fanout100"))
single_history = by.get(("tlschatd", "fanout100-history"))
for name, label in (("fanout100-cluster", "3 nodes over a 3-server NATS cluster (R3)"),
                    ("fanout100-2nodes", "2 nodes on one port (--reuse-port) over one NATS server")):
    row = by.get(("tlschatd", name))
    if not row:
        continue
    if row["status"] != "ok" or not row["result"]:
        print(f"{name}: {row['status']}" + (f" - {row['note']}" if row["note"] else ""))
        continue
    mine, one = value(row, "deliveries_per_server_cpu_second"), value(single, "deliveries_per_server_cpu_second")
    one_history = value(single_history, "deliveries_per_server_cpu_second")
    cost = f"CPU per delivery {one / mine:.2f}x one node's without history" if mine and one else "no single-node figure in this run"
    if mine and one_history:
        cost += f", {one_history / mine:.2f}x one node's with its SQLite history (the default)"
    split = ""
    try:
        with open(os.path.join(os.path.dirname(manifest), name + ".split.json")) as f:
            s = json.load(f)
        total = s["tlschatd_cpu_seconds"] + s["nats_server_cpu_seconds"]
        if total > 0:
            split = (f"; CPU split over the whole run: tlschatd nodes {s['tlschatd_cpu_seconds']:.1f} s "
                     f"({s['tlschatd_cpu_seconds'] / total:.0%}), nats-server {s['nats_server_cpu_seconds']:.1f} s "
                     f"({s['nats_server_cpu_seconds'] / total:.0%})")
    except (OSError, ValueError, KeyError):
        pass
    print(f"{label}: {cell(row, 'deliveries_per_server_cpu_second')} deliveries per server CPU-s "
          f"(every node and NATS server counted), {cost}; p50 {cell(row, 'latency_us.p50')} us, "
          f"p99 {cell(row, 'latency_us.p99')} us{split}")
