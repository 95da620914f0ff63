#!/usr/bin/env python3
"""The Prometheus endpoint answers while a watchlist reload compiles.

usage: metrics_reload.py FEEDWATCH FEEDWATCH_GEN

feedwatch runs on a looping capture with 100,000 watchlist terms and no
compile cache, so `feedwatch ctl reload` keeps the control thread busy for
seconds. Scrapes of /metrics during that reload must each be answered within
a second (they have their own thread), show the running generation, and the
next scrape after the reload the new one with the reload time.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def scrape(port):
    t0 = time.time()
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=30).read()
    return time.time() - t0, text.decode()


def value(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def main():
    fw, gen = sys.argv[1:3]
    problems = []
    with tempfile.TemporaryDirectory(prefix="fwmetrics-") as tmp:
        cap = os.path.join(tmp, "m.pcap")
        subprocess.run([gen, "-o", cap, "--items", "200", "--terms", "100000", "--lists", "10"],
                       check=True, capture_output=True)
        port = free_port()
        ctl_sock = os.path.join(tmp, "control.sock")
        cfg = os.path.join(tmp, "m.yaml")
        with open(cfg, "w") as f:
            f.write("watchlists:\n  dir: %s\n  cache_dir: \"\"\n  watch: false\n"
                    "control:\n  socket: %s\noutput:\n  socket: %s\njournal:\n  dir: \"\"\n"
                    "telemetry:\n  prometheus: 127.0.0.1:%d\n" %
                    (cap + ".watchlists", ctl_sock, os.path.join(tmp, "a.sock"), port))
        log = open(os.path.join(tmp, "fw.log"), "w")
        proc = subprocess.Popen([fw, "run", "-c", cfg, "--",
                                 "--vdev=net_pcap0,rx_pcap=%s,infinite_rx=1" % cap, "--no-pci"],
                                stderr=log)
        try:
            deadline = time.time() + 300
            while time.time() < deadline:
                try:
                    _, text = scrape(port)
                    break
                except OSError:
                    if proc.poll() is not None:
                        break
                    time.sleep(0.2)
            else:
                text = ""
            if value(text, "feedwatch_watchlist_generation") != 1:
                problems.append("no generation 1 before the reload")
            reload = subprocess.Popen([fw, "ctl", "--control", ctl_sock, "reload"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            time.sleep(0.5)
            during = []
            while reload.poll() is None:
                took, text = scrape(port)
                if reload.poll() is None:
                    during.append((took, value(text, "feedwatch_watchlist_generation")))
                time.sleep(0.2)
            reload.communicate()
            if not during:
                problems.append("the reload ended before a scrape could overlap it")
            slow = [t for t, _ in during if t > 1.0]
            if slow:
                problems.append("%d of %d scrapes during the reload took over 1 s (%.2f s)" %
                                (len(slow), len(during), max(slow)))
            if any(g != 1 for _, g in during):
                problems.append("a scrape during the reload did not show generation 1")
            _, text = scrape(port)
            if value(text, "feedwatch_watchlist_generation") != 2:
                problems.append("after the reload: generation %s, want 2" %
                                value(text, "feedwatch_watchlist_generation"))
            secs = value(text, "feedwatch_watchlist_last_reload_duration_seconds")
            if not secs or secs <= 0:
                problems.append("no reload duration after the reload: %s" % secs)
            print("metrics_reload.py: %d scrapes during a %.1f s reload, slowest %.3f s" %
                  (len(during), secs or 0, max([t for t, _ in during] or [0])))
        finally:
            proc.terminate()
            proc.wait(timeout=60)
            log.close()
    for p in problems:
        print("metrics_reload.py: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
