#!/usr/bin/env python3
# bench-meta.py: the run-wide facts Scripts/bench stores beside its results:
# date, machine (CPU, cores, kernel, OpenSSL), core pinning, each server's
# version, negotiated TLS, command and role (measured, peer, reference), and
# the floors (Scripts/lib/bench-floors.sh) with their JSON results.
# Usage: bench-meta.py META_JSON SERVERS_TSV QUICK DRY FLOORS_TSV
# What it does not do: measure anything or start any process but `openssl version`.
import datetime, json, os, platform, subprocess, sys
meta, table, quick, dry, floor_table = sys.argv[1:6]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
servers = {}
for line in open(table):
    name, version, tls, cmd, role = line.rstrip("\n").split("\t")
    servers[name] = {"version": version, "tls_negotiated": tls, "command": cmd, "role": role}
floors = {}
for line in open(floor_table):
    name, status, note, command, path = line.rstrip("\n").split("\t")
    result = None
    if status == "ok":
        try:
            result = json.loads(open(path).read().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError) as error:
            status, note = "failed", f"unreadable JSON ({error})"
    floors[name] = {"status": status, "note": note, "command": command, "result": result}
openssl = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
json.dump({"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "quick": quick == "1", "dry_run": dry == "1",
           "machine": {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(), "openssl": openssl},
           "pinning": {"server": "taskset -c 0", "load_generator": "taskset -c 1"},
           "servers": servers, "floors": floors}, open(meta, "w"))
