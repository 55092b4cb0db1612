#!/usr/bin/env python3
"""Sends lines to hapd's socket and prints every answer line, for the tests.
usage: raw_client.py SOCKET [LINE...]   (no LINE: lines from stdin)
Exits when hapd closes the connection or after --timeout seconds of silence."""
import socket
import sys

args = sys.argv[1:]
timeout = 30.0
if args and args[0].startswith("--timeout="):
    timeout = float(args.pop(0).split("=", 1)[1])
path, lines = args[0], args[1:]
if not lines:
    lines = [l.rstrip("\n") for l in sys.stdin]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
s.settimeout(timeout)
for l in lines:
    try:
        s.sendall(l.encode("utf-8", "surrogateescape") + b"\n")
    except (BrokenPipeError, ConnectionResetError):
        break  # hapd answered and closed: read what it said
buf = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            print(line.decode("utf-8", "replace"), flush=True)
except socket.timeout:
    pass
if buf:
    print(buf.decode("utf-8", "replace"), flush=True)
