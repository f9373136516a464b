#!/usr/bin/env python3
"""bench-history.py: what a HISTORY request costs tlschatd, and whether it grows
with the size of the room (it must not: the read is an index range, not a scan).

Usage: bench-history.py TLSCHATD_BINARY WORKDIR [--big N] [--small N] [--requests N]
                        [--server-cpu C] [--client-cpu C]

It lets tlschatd create a history database in WORKDIR (started once with
--history, then stopped by its PID), fills two rooms directly with SQLite
(#big with --big messages, default 1,000,000; #small with --small, default
1,000; 100-byte texts; from schema version 6 one message per segment, the
most rows a room of that size can have), starts tlschatd on it pinned to --server-cpu (taskset),
and from this process (pinned to --client-cpu) sends --requests (default 2,000)
`HISTORY ROOM BEFORE ID LIMIT 100` to each room, one at a time, at random ids.
It reports per room: the server's CPU time per request (from /proc/PID/stat,
the figure that matters), the client-side round trip p50/p99, and the
database's bytes per stored message. One JSON object on stdout. Loopback only;
every wait has a deadline; the server is stopped by its PID. It does not
compare with other servers (none of the peers keeps history).
"""
import json, os, random, socket, sqlite3, ssl, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CERTS = os.path.join(ROOT, "Certs")


def option(name, default):
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def start(binary, database, cpu):
    command = ["taskset", "-c", str(cpu)] if cpu is not None else []
    command += [binary, "--cert", f"{CERTS}/server.pem", "--key", f"{CERTS}/server.key", "--listen", "127.0.0.1:0",
                "--history", database, "--lobby", "none", "--command-burst", "1000000000", "--commands-per-second", "1000000000"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline:
        line = server.stdout.readline().decode()
        if line.startswith("listening tls "):
            return server, int(line.split()[3])
        if server.poll() is not None:
            break
    server.kill()
    raise SystemExit("tlschatd did not start on " + database)


def stop(server):
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def prefill(database, rooms):
    """Fills each room with one message per segment from version 6 on (as commits of one
    message each leave them: the most rows, the worst case for reads and for size)."""
    db = sqlite3.connect(database)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version not in (1, 2, 3, 4, 5, 6):
        raise SystemExit(f"history schema version {version}: this script knows versions 1 to 6")
    now = int(time.time() * 1000)
    text = "x" * 100
    table = "segments" if version >= 6 else "messages"
    ids = "first_id" if version >= 6 else "id"
    for room, count in rooms:
        scope = db.execute("INSERT INTO scopes (kind, name, message_count) VALUES ('room', ?, ?)", (room, count)).lastrowid
        if version >= 6:
            db.execute("""WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                          INSERT INTO segments (first_id, scope, time, count, body)
                          SELECT coalesce((SELECT max(first_id) FROM segments), 0) + i, ?, ?, 1,
                                 'alice cert - ' || ? || char(10) FROM n""", (count, scope, now, text))
        else:
            db.execute("""WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                          INSERT INTO messages (scope, time, sender, trust, text) SELECT ?, ?, 'alice', 'cert', ? FROM n""",
                       (count, scope, now, text))
        if version >= 3:  # ids are the store's own from version 3: move its counter past these rows
            db.execute(f"UPDATE counters SET value = max(value, (SELECT max({ids}) + 1 FROM {table})) WHERE name = 'next_message_id'")
        db.commit()
    ranges = {room: db.execute(f"SELECT min(m.{ids}), max(m.{ids}) FROM {table} m JOIN scopes s ON s.id = m.scope WHERE s.name = ?",
                               (room,)).fetchone() for room, _ in rooms}
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    total = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    db.close()
    return ranges, total


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    binary, workdir = sys.argv[1], sys.argv[2]
    big, small, requests = option("--big", 1_000_000), option("--small", 1_000), option("--requests", 2_000)
    server_cpu = option("--server-cpu", None) if "--server-cpu" in sys.argv else None
    if "--client-cpu" in sys.argv:
        os.sched_setaffinity(0, {option("--client-cpu", 1)})
    os.makedirs(workdir, exist_ok=True)
    database = os.path.join(workdir, "history-bench.sqlite")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(database + suffix):
            os.remove(database + suffix)
    server, _ = start(binary, database, None)  # creates the schema
    stop(server)
    ranges, total = prefill(database, [("#big", big), ("#small", small)])
    size = os.path.getsize(database)
    server, port = start(binary, database, server_cpu)
    context = ssl.create_default_context(cafile=f"{CERTS}/ca.pem")
    sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30), server_hostname="localhost")
    reader = sock.makefile("rb")

    def command(line):
        sock.sendall(line.encode() + b"\n")
        while True:
            reply = reader.readline().decode()
            if not reply:
                raise SystemExit("connection closed after " + line)
            if reply.startswith(("OK ", "ERR ")):
                return reply.strip()

    reader.readline()  # greeting
    results = {}
    rng = random.Random(1)
    try:
        for room in ("#small", "#big"):
            assert command("JOIN " + room).startswith("OK JOIN"), room
            first, last = ranges[room]
            command(f"HISTORY {room} LIMIT 100")  # warm the cache
            latencies = []
            before = cpu_seconds(server.pid)
            for _ in range(requests):
                start_time = time.perf_counter()
                reply = command(f"HISTORY {room} BEFORE {rng.randint(first + 100, last)} LIMIT 100")
                latencies.append(time.perf_counter() - start_time)
                if not reply.startswith(f"OK HISTORY {room} 100"):
                    raise SystemExit("unexpected reply: " + reply)
            spent = cpu_seconds(server.pid) - before
            latencies.sort()
            results[room] = {"messages": last - first + 1, "requests": requests,
                             "server_cpu_us_per_request": round(spent / requests * 1e6, 1),
                             "round_trip_p50_ms": round(latencies[len(latencies) // 2] * 1e3, 3),
                             "round_trip_p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1e3, 3)}
        command("BYE")
    finally:
        stop(server)
    print(json.dumps({"history_read": results, "database_bytes": size, "stored_messages": total,
                      "bytes_per_message": round(size / total, 1), "text_bytes": 100}))


if __name__ == "__main__":
    main()
