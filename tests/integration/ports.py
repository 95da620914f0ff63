#!/usr/bin/env python3
"""Two capture ports at once: each gets its own worker, and together they
alert exactly as each does alone.

usage: ports.py FEEDWATCH CONFIG CAPTURE_A CAPTURE_B

feedwatch runs live (no --pcap) on two net_pcap ports given as EAL
arguments in dpdk.eal_args, as two NIC ports in capture.pci would be
polled: one worker per port. The test waits until both captures have been
read, stops it with SIGTERM, and checks the per-port packet counts against
the files and the alerts against `run --pcap` of each file alone.
"""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import fwrun


def packets(pcap):
    """Packets in a classic pcap file (the captures here are little-endian pcap)."""
    data = open(pcap, "rb").read()
    at, n = 24, 0
    while at + 16 <= len(data):
        incl = int.from_bytes(data[at + 8:at + 12], "little")
        at += 16 + incl
        n += 1
    return n


def alerts(journal_text):
    return sorted((a["watchlist"], a["item"].get("link") or a["item"].get("title"))
                  for a in map(json.loads, journal_text.splitlines()))


def main():
    fw, config, cap_a, cap_b = sys.argv[1:5]
    config = os.path.abspath(config)
    failures = []
    with tempfile.TemporaryDirectory(prefix="fwports-") as tmp:
        alone = []
        for i, cap in enumerate((cap_a, cap_b)):
            d = os.path.join(tmp, "alone%d" % i)
            os.mkdir(d)
            r = fwrun.run(fw, cap, config, d)
            alone += alerts(r["journal"])
        cfg = os.path.join(tmp, "two.yaml")
        with open(config) as f:
            text = f.read()
        # the config's relative paths stay relative to its own folder
        text = re.sub(r"(\n  dir: )(?!/)", r"\g<1>%s/" % os.path.dirname(config), text)
        text = text.replace("\ndpdk:\n", "\ndpdk:\n  eal_args: [\"--vdev=net_pcap0,rx_pcap=%s\","
                            " \"--vdev=net_pcap1,rx_pcap=%s\", \"--no-pci\"]\n" % (cap_a, cap_b))
        with open(cfg, "w") as f:
            f.write(text)
        journal = os.path.join(tmp, "journal")
        log = open(os.path.join(tmp, "fw.log"), "w")
        ctl_sock = os.path.join(tmp, "control.sock")
        proc = subprocess.Popen([fw, "run", "-c", cfg, "--socket", os.path.join(tmp, "a.sock"),
                                 "--journal", journal, "--control", ctl_sock],
                                stderr=log)
        want = packets(cap_a) + packets(cap_b)
        deadline, seen = time.time() + 120, 0
        while time.time() < deadline and proc.poll() is None and seen < want:
            r = subprocess.run([fw, "ctl", "--control", ctl_sock, "stats", "--json"],
                               capture_output=True, text=True)
            if r.returncode == 0:
                seen = json.loads(r.stdout)["counters"].get("rx_packets", 0)
            time.sleep(0.2)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=60)
        log.close()
        err = open(os.path.join(tmp, "fw.log")).read()
        if rc != 0:
            failures.append("exit %d" % rc)
        if "2 worker(s) on 2 port(s)" not in err:
            failures.append("not one worker per port: %s" %
                            [l for l in err.splitlines() if "worker(s) on" in l])
        for i, cap in enumerate((cap_a, cap_b)):
            m = re.search(r"port %d net_pcap%d: (\d+) packets" % (i, i), err)
            if m is None or int(m.group(1)) != packets(cap):
                failures.append("port %d: %s packets, the file has %d" %
                                (i, m and m.group(1), packets(cap)))
        both = alerts(fwrun.read_journal(journal))
        if both != sorted(alone):
            failures.append("alerts from two ports %s != each port alone %s" % (both, alone))
        for f in failures:
            print("ports.py: " + f)
        print("ports.py: %d packets on 2 ports, %d alerts: %s" %
              (want, len(both), "ok" if not failures else "FAIL"))
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
