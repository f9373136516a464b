#!/usr/bin/env python3
"""notify_socket.py: a stand-in for systemd's notification socket, from the
sd_notify protocol's description (a datagram socket; each datagram holds
newline-separated KEY=VALUE assignments). Standard library only.

  notify_socket.py PATH SECONDS
      Binds an AF_UNIX datagram socket at PATH, prints "LISTENING", then
      prints every assignment it receives, one per line, for SECONDS.
"""
import os, socket, sys, time

path, seconds = sys.argv[1], float(sys.argv[2])
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
sock.settimeout(0.2)
print("LISTENING", flush=True)
end = time.time() + seconds
while time.time() < end:
    try:
        data = sock.recv(4096)
    except socket.timeout:
        continue
    for line in data.decode().split("\n"):
        print(line, flush=True)
os.unlink(path)
