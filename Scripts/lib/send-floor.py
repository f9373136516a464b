#!/usr/bin/env python3
# send-floor.py: the kernel's floor for "one message to N receivers, one
# socket write each" on this machine, the reference under Scripts/bench's
# fanout1000 figures: no server can fan out faster with one write per socket.
#
# What it does: opens N (default 999) TCP connections over 127.0.0.1 to a
# listener of its own on port 0 (connect, accept, one at a time), sets
# TCP_NODELAY on the sending (accepted, "server") side, then forks a reader
# process pinned to core 1 that epolls all receiving sockets and drains them,
# while the writer (this process) pinned to core 0 sends one 100-byte message
# to each of the N sockets, one send() each, in a loop: one untimed warm-up
# round, then R timed rounds (default 50) with a 10 ms pause after each.
# It prints one JSON object on stdout: the median and p90 over rounds of the
# wall time of one round (ms) and of the writer's CPU time per send (us,
# time.process_time), and whether the reader received every byte.
# What it does not do: leave loopback, use anything but the standard library,
# run unbounded (N <= 20000, R <= 1000, and a deadline, default 60 s, after
# which the reader stops by itself and the writer kills it by PID), or leave a
# process behind: the reader exits when every sending socket has closed (or at
# the deadline) and the writer waits for it. It does not model TLS, a chat
# server's own work, or batching several messages into one write.
import argparse
import gc
import json
import math
import os
import platform
import resource
import select
import signal
import socket
import statistics
import sys
import time


def percentile(values, p):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def raise_fd_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            sys.exit(f"send-floor: needs {needed} descriptors, hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def read_all(fd, deadline):
    """Everything the other end writes into pipe FD until it closes it or DEADLINE passes."""
    data = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return data
        chunk = os.read(fd, 4096)
        if not chunk:
            return data
        data += chunk


def read_all_line(fd, deadline):
    """The first line the reader writes (its "ready"), without reading past it."""
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 1)
        if not chunk:
            break
        line += chunk
    return line.decode().strip()


def reader(receivers, deadline, report_fd):
    """Child process: drain every receiving socket until each sees EOF (or the deadline)."""
    os.sched_setaffinity(0, {1})
    poller = select.epoll()
    by_fd = {}
    for s in receivers:
        s.setblocking(False)
        poller.register(s.fileno(), select.EPOLLIN)
        by_fd[s.fileno()] = s
    os.write(report_fd, b"ready\n")
    received = 0
    while by_fd and time.monotonic() < deadline:
        for fd, _ in poller.poll(max(0.0, min(1.0, deadline - time.monotonic())), 4096):
            s = by_fd[fd]
            while True:
                try:
                    chunk = s.recv(65536)
                except BlockingIOError:
                    break
                except OSError:
                    chunk = b""
                if not chunk:
                    poller.unregister(fd)
                    del by_fd[fd]
                    s.close()
                    break
                received += len(chunk)
    os.write(report_fd, f"{received} {len(by_fd)}\n".encode())


def main():
    parser = argparse.ArgumentParser(description="Kernel floor: one small send to each of N loopback TCP sockets.")
    parser.add_argument("--connections", type=int, default=999, help="receiving sockets N (default 999)")
    parser.add_argument("--rounds", type=int, default=50, help="timed rounds R (default 50)")
    parser.add_argument("--bytes", type=int, default=100, help="message size (default 100)")
    parser.add_argument("--gap-ms", type=float, default=10.0, help="pause after each round (default 10 ms)")
    parser.add_argument("--deadline", type=float, default=60.0, help="seconds before everything stops (default 60)")
    args = parser.parse_args()
    if not 1 <= args.connections <= 20000:
        parser.error("--connections must be 1...20000")
    if not 1 <= args.rounds <= 1000:
        parser.error("--rounds must be 1...1000")
    if not 1 <= args.bytes <= 16384:
        parser.error("--bytes must be 1...16384")
    if not 0 <= args.gap_ms <= 1000 or not 1 <= args.deadline <= 600:
        parser.error("--gap-ms must be 0...1000 and --deadline 1...600")
    if not {0, 1} <= os.sched_getaffinity(0):
        sys.exit("send-floor: needs cores 0 (writer) and 1 (reader)")
    deadline = time.monotonic() + args.deadline
    raise_fd_limit(2 * args.connections + 64)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    senders, receivers = [], []
    try:
        for _ in range(args.connections):
            client = socket.create_connection(listener.getsockname(), timeout=10)
            client.settimeout(None)
            server, _ = listener.accept()
            server.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            receivers.append(client)
            senders.append(server)
    finally:
        listener.close()

    report_r, report_w = os.pipe()
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:  # the reader: never returns into main()
        code = 1
        try:
            os.close(report_r)
            for s in senders:
                s.close()
            reader(receivers, deadline, report_w)
            code = 0
        finally:
            os._exit(code)
    os.close(report_w)
    for s in receivers:
        s.close()

    status = "ok"
    walls, cpus, sent_rounds = [], [], 0
    try:
        os.sched_setaffinity(0, {0})
        ready = read_all_line(report_r, deadline)
        if ready != "ready":
            raise RuntimeError("the reader did not start")
        message = b"m" * args.bytes
        sends = [s.send for s in senders]
        gc.disable()
        for round_index in range(args.rounds + 1):  # round 0: warm-up, not counted
            if time.monotonic() >= deadline:
                status = "deadline"
                break
            c0, t0 = time.process_time(), time.perf_counter()
            for send in sends:
                if send(message) != args.bytes:
                    raise RuntimeError("short send")
            t1, c1 = time.perf_counter(), time.process_time()
            sent_rounds += 1
            if round_index:
                walls.append((t1 - t0) * 1e3)
                cpus.append((c1 - c0) * 1e6 / args.connections)
            time.sleep(args.gap_ms / 1e3)
        gc.enable()
    except (OSError, RuntimeError) as error:
        status = f"failed: {error}"
    finally:
        for s in senders:
            s.close()  # the reader sees EOF on each and exits
        result = read_all(report_r, deadline + 5).decode().split()
        os.close(report_r)
        end = time.monotonic() + 10
        while os.waitpid(pid, os.WNOHANG) == (0, 0):
            if time.monotonic() > end:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                status = "failed: reader killed after the deadline"
                break
            time.sleep(0.01)

    # The reader's last line: "RECEIVED STILL_OPEN" (its "ready" was read before the rounds).
    result = [word for word in result if word != "ready"]
    received, still_open = (int(result[0]), int(result[1])) if len(result) == 2 else (None, None)
    expected = sent_rounds * args.connections * args.bytes
    out = {
        "what": f"one {args.bytes}-byte send() to each of {args.connections} loopback TCP sockets per round",
        "connections": args.connections, "rounds": len(walls), "message_bytes": args.bytes,
        "gap_ms": args.gap_ms, "pinning": {"writer": "core 0", "reader": "core 1"},
        "kernel": platform.release(), "status": status,
        "received_bytes": received, "expected_bytes": expected, "reader_sockets_left_open": still_open,
        "verified": status == "ok" and received == expected and still_open == 0 and len(walls) == args.rounds,
    }
    if walls:
        out["round_ms"] = {"p50": round(statistics.median(walls), 3), "p90": round(percentile(walls, 90), 3),
                           "min": round(min(walls), 3), "max": round(max(walls), 3)}
        cpu = statistics.median(cpus)
        out["cpu_us_per_send"] = {"p50": round(cpu, 3), "p90": round(percentile(cpus, 90), 3)}
        out["sends_per_cpu_second"] = round(1e6 / cpu) if cpu > 0 else None
    print(json.dumps(out))
    return 0 if out["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
