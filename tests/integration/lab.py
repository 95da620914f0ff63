#!/usr/bin/env python3
"""The live lab in CI: scripts/lab at a modest rate, then the three views of
the counters compared.

usage: lab.py SOURCE_ROOT BUILD_DIR

feedwatch captures from a veth in its own network namespace (net_af_packet)
while tcpreplay replays a generated capture into the other end. Passes when
every packet reached the DPDK port with no drop at any layer, every expected
alert reached a consumer, and `feedwatch ctl stats --json`, the Prometheus
scrape and DPDK telemetry's /feedwatch/stats agree on every counter. Then
once more at tcpreplay's top speed: whatever the kernel's capture ring drops,
the port's received + missed equals what the interface received, and a
consumer gets every alert written. Skipped (77) without root or tcpreplay.
"""

import json
import os
import subprocess
import sys
import tempfile

from prometheus_client.parser import text_string_to_metric_families


def main():
    root, build = sys.argv[1:3]
    with tempfile.TemporaryDirectory(prefix="fwlab-test-") as tmp:
        out = os.path.join(tmp, "run")
        r = subprocess.run([os.path.join(root, "scripts", "lab"), "--build", build,
                            "--items", "600", "--loops", "2", "--pps", "4000",
                            "--workers", "2", "--out", out,
                            "--json", os.path.join(tmp, "report.json")], timeout=900)
        if r.returncode == 77:
            return 77
        if not os.path.exists(os.path.join(tmp, "report.json")):
            print("lab.py: scripts/lab wrote no report (exit %d)" % r.returncode)
            return 1
        rep = json.load(open(os.path.join(tmp, "report.json")))
        stats = json.load(open(os.path.join(out, "stats.json")))
        prom = open(os.path.join(out, "metrics.txt")).read()
        tel = json.load(open(os.path.join(out, "telemetry.json")))
        problems = []

        def check(cond, what):
            if not cond:
                problems.append(what)

        check(rep["sent"]["packets"] > 0, "tcpreplay sent nothing")
        check(rep["port"]["ipackets"] == rep["sent"]["packets"],
              "port received %d of %d sent" % (rep["port"]["ipackets"], rep["sent"]["packets"]))
        check(rep["alerts"]["expected"] > 0, "the generator planted no alert")
        check(rep["alerts"]["written"] == rep["alerts"]["expected"],
              "alerts written %d, expected %d" % (rep["alerts"]["written"],
                                                   rep["alerts"]["expected"]))
        check(rep["alerts"]["received"] == rep["alerts"]["written"],
              "a consumer received %d of %d" % (rep["alerts"]["received"],
                                                 rep["alerts"]["written"]))
        check(rep["workers"] == 2, "%d workers" % rep["workers"])
        check(rep["ok"], "scripts/lab reported a loss")

        # Prometheus: the whole scrape parses; every counter of ctl stats is there per source
        fams = {f.name: f for f in text_string_to_metric_families(prom)}
        counters = stats["counters"]
        for name, total in counters.items():
            fam = fams.get("feedwatch_" + name) or fams.get("feedwatch_" + name + "_total")
            if fam is None:
                problems.append("Prometheus has no feedwatch_%s(_total)" % name)
                continue
            got = sum(s.value for s in fam.samples if not s.name.endswith("_created"))
            if fam.type == "counter" and got != total:
                problems.append("%s: Prometheus %s, ctl stats %s" % (name, got, total))
        check("feedwatch_watchlist_generation" in fams, "no watchlist generation in Prometheus")
        check("feedwatch_alert_client_lag_alerts" in fams or
              "feedwatch_alert_clients" in fams, "no alert client metrics in Prometheus")
        port_rx = fams.get("feedwatch_port_rx_packets")
        check(port_rx is not None and
              sum(s.value for s in port_rx.samples if s.name.endswith("_total")) ==
              rep["port"]["ipackets"], "Prometheus port rx packets differ")

        # DPDK telemetry: /feedwatch/stats holds every counter with ctl stats' value
        ts = tel.get("/feedwatch/stats") or {}
        for name, total in counters.items():
            if name == "nats_pending":
                continue
            check(ts.get(name) == total, "telemetry %s=%s, ctl stats %s" %
                  (name, ts.get(name), total))
        check(bool(tel.get("/feedwatch/ports")), "telemetry /feedwatch/ports is empty")
        check(bool(tel.get("/feedwatch/watchlists")), "telemetry /feedwatch/watchlists is empty")

        # overload: tcpreplay at top speed; whatever is lost, every packet is accounted for
        r = subprocess.run([os.path.join(root, "scripts", "lab"), "--build", build,
                            "--items", "6000", "--loops", "3", "--topspeed",
                            "--json", os.path.join(tmp, "top.json")], timeout=900)
        top = json.load(open(os.path.join(tmp, "top.json")))
        acc = top["port"]["ipackets"] + top["port"]["imissed"]
        check(r.returncode in (0, 1) and acc == top["kernel"]["cap_rx"],
              "top speed: port received %d + missed %d != %d the interface received" %
              (top["port"]["ipackets"], top["port"]["imissed"], top["kernel"]["cap_rx"]))
        check(top["alerts"]["received"] == top["alerts"]["written"],
              "top speed: a consumer received %d of %d alerts" %
              (top["alerts"]["received"], top["alerts"]["written"]))
        print("lab.py: top speed: %d packets sent at %s pps, %d received, %d missed in the "
              "kernel's ring, %d alerts of %d expected" %
              (top["sent"]["packets"], top["sent"]["pps"], top["port"]["ipackets"],
               top["port"]["imissed"], top["alerts"]["written"], top["alerts"]["expected"]))

        for p in problems:
            print("lab.py: " + p)
        print("lab.py: %d packets, %d alerts, %d counters compared across ctl stats, "
              "Prometheus (%d families) and telemetry: %s" %
              (rep["sent"]["packets"], rep["alerts"]["written"], len(counters), len(fams),
               "ok" if not problems else "%d problem(s)" % len(problems)))
        return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
