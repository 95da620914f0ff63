#!/usr/bin/env python3
"""Run the real feedwatch binary on a capture and check every alert.

usage: run_case.py FEEDWATCH CAPTURE CASE_DIR SCHEMA

CASE_DIR holds config.yaml (watchlists, limits) and expect.json:
  {"alerts": [{"watchlist": ..., "severity": ..., "tags": [...], "rule": null,
               "item": {"title": ..., "link": ...},
               "hits": [[term, field, offset], ...],        # exactly these, any order
               "feed": {"url": ..., "format": ..., "title": ...},
               "flow": {"src": ..., "dst": ..., "proto": ...}}, ...],
   "counters": {"name": value, ...}}                        # optional, exact
feedwatch runs with --pcap (DPDK, --no-huge, the net_pcap vdev) and a
consumer connected to its alert socket; the lines read there must be valid
against the schema, numbered 1..N with no gap, equal to the journal, and be
exactly the expected alerts, field by field. `feedwatch match --json` on the
same capture must find the same alerts.
"""

import json
import os
import subprocess
import sys
import tempfile

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fwrun  # noqa: E402

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def key(a):
    return (a["watchlist"], a["item"]["title"])


def compare(got, expect, where, with_flow=True):
    gk = sorted(key(a) for a in got)
    ek = sorted(key(a) for a in expect)
    if not check(gk == ek, "%s: alerts %s, expected %s" % (where, gk, ek)):
        return
    by = {key(a): a for a in got}
    for e in expect:
        g = by[key(e)]
        name = "%s: %s / %s" % (where, e["watchlist"], e["item"]["title"])
        for f in ("severity", "tags", "rule"):
            if f in e:
                check(g[f] == e[f], "%s: %s is %r, expected %r" % (name, f, g[f], e[f]))
        for f, v in e["item"].items():
            check(g["item"][f] == v, "%s: item.%s is %r, expected %r" % (name, f, g["item"][f], v))
        for f, v in e["feed"].items():
            check(g["feed"][f] == v, "%s: feed.%s is %r, expected %r" % (name, f, g["feed"][f], v))
        if with_flow:
            for f, v in e["flow"].items():
                check(g["flow"][f] == v, "%s: flow.%s is %r, expected %r" % (name, f, g["flow"][f], v))
        hits = sorted([h["term"], h["field"], h["offset"]] for h in g["hits"])
        check(hits == sorted(e["hits"]), "%s: hits %s, expected %s" % (name, hits, sorted(e["hits"])))


def run_live(fw, cap, case, tmp):
    r = fwrun.run(fw, cap, os.path.join(case, "config.yaml"), tmp, timeout=120)
    sys.stderr.write(r["stderr"])
    check(r["rc"] == 0, "feedwatch run exited %s" % r["rc"])
    check(r["connected"], "could not connect to the alert socket")
    check(r["journal"] == r["lines"],
          "journal and socket differ (%d vs %d bytes)" % (len(r["journal"]), len(r["lines"])))
    check(r["hello"] is not None and r["hello"]["last_seq"] == 0,
          "no hello line first, or it names a last seq: %r" % r["hello"])
    return r["lines"], r["counters"], r["hello"]


def main():
    fw, cap, case, schema_path = sys.argv[1:5]
    expect = json.load(open(os.path.join(case, "expect.json")))
    schema = json.load(open(schema_path))
    validator = jsonschema.Draft202012Validator(schema)

    with tempfile.TemporaryDirectory(prefix="fwtest") as tmp:
        text, counters, hello = run_live(fw, cap, case, tmp)
    lines = [l for l in text.split("\n") if l]
    for e in validator.iter_errors({"hello": hello}):
        check(False, "the hello line breaks the schema: %s" % e.message)
    alerts = []
    for i, l in enumerate(lines):
        try:
            a = json.loads(l)
        except ValueError as e:
            check(False, "line %d is not JSON: %s" % (i + 1, e))
            continue
        for e in validator.iter_errors(a):
            check(False, "line %d breaks the schema: %s at %s" % (i + 1, e.message, list(e.path)))
        alerts.append(a)
    check([a.get("seq") for a in alerts] == list(range(1, len(alerts) + 1)),
          "seq is %s, expected 1..%d" % ([a.get("seq") for a in alerts], len(alerts)))
    compare(alerts, expect["alerts"], "run")
    for name, v in expect.get("counters", {}).items():
        check(counters.get(name, 0) == v,
              "counter %s is %s, expected %s" % (name, counters.get(name, 0), v))

    off = subprocess.run([fw, "match", "--json", "-c", os.path.join(case, "config.yaml"), cap],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    check(off.returncode == 0, "feedwatch match exited %d: %s" % (off.returncode, off.stderr))
    offline = [json.loads(l) for l in off.stdout.splitlines() if l]
    for i, a in enumerate(offline):
        for e in validator.iter_errors(a):
            check(False, "match line %d breaks the schema: %s" % (i + 1, e.message))
    compare(offline, expect["alerts"], "match")

    print("%d alerts checked, %d problems" % (len(alerts), len(failures)))
    for f in failures:
        print("FAIL: " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
