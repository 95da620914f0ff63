"""Run the real feedwatch binary on a capture with a consumer on its socket.

Shared by the integration tests and scripts/accuracy.
"""

import glob
import json
import os
import socket
import subprocess
import time


def generate(gen, cap, *args):
    """feedwatch-gen -o CAP ARGS...: the frames it wrote, or None (its stderr printed)."""
    g = subprocess.run([gen, "-o", cap] + list(args), capture_output=True, text=True,
                       timeout=300)
    if g.returncode != 0:
        print(g.stderr)
        return None
    return int(g.stderr.split(": ")[2].split()[0])


def read_journal(path):
    """The journal folder's segments, oldest first, as one text."""
    return "".join(open(f, encoding="utf-8").read()
                   for f in sorted(glob.glob(os.path.join(path, "alerts-*.ndjson"))))


def journal_bytes(path):
    """The journal's size: grows while alerts flow (cheap to ask, unlike a line count)."""
    return sum(os.path.getsize(f) for f in glob.glob(os.path.join(path, "alerts-*.ndjson")))


def split_hello(text):
    """A stream's text -> (its hello object, the text after the hello line)."""
    if not text.startswith('{"hello":'):
        return None, text
    first, _, rest = text.partition("\n")
    return json.loads(first)["hello"], rest


def _connect(path, proc, deadline):
    while time.time() < deadline:
        if proc.poll() is not None:
            return None
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            time.sleep(0.05)
    return None


def run(fw, capture, config, tmp, extra=(), timeout=600):
    """feedwatch run --pcap CAPTURE -c CONFIG, one consumer on the socket.

    Returns a dict: lines (the socket's text after its hello line), hello (that
    line's object), journal (the journal's text), rc, stderr, counters
    {name: value}, connected (bool)."""
    sock = os.path.join(tmp, "alerts.sock")
    journal = os.path.join(tmp, "journal")
    cmd = [fw, "run", "--pcap", capture, "-c", config, "--socket", sock,
           "--control", os.path.join(tmp, "control.sock"),
           "--journal", journal, "--wait-clients", "1"] + list(extra)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # the socket appears after the watchlists compile: minutes for big sets under ASan
    s = _connect(sock, proc, time.time() + timeout)
    data = b""
    if s is not None:
        s.settimeout(timeout)
        while True:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            data += chunk
        s.close()
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    counters = {}
    for line in err.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[1] == "counter":
            counters[parts[2]] = int(parts[3])
    hello, lines = split_hello(data.decode())
    return {"lines": lines, "hello": hello, "journal": read_journal(journal),
            "rc": proc.returncode, "stderr": err, "counters": counters,
            "connected": s is not None}
