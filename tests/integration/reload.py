"""Hot reload under traffic, with the real binary: 20 reloads while packets flow.

feedwatch runs on a generated capture that the net_pcap vdev replays in a
loop (infinite_rx=1), so traffic flows for as long as the test needs. While
it flows the watchlists are reloaded 20 times, by every trigger an operator
has: `feedwatch ctl reload`, SIGHUP, and replacing a file in the watchlist
folder (inotify). Each must publish exactly one new generation. Then
SIGTERM, and the journal must show no alert lost or duplicated: seq runs
1..N without a gap, and every expected (feed, item, watchlist) alerted
either L or L+1 times, where L is the number of whole passes over the
capture (the item in the last, partial pass may or may not have been
reached), and nothing else alerted. Dedup is off so that every pass alerts.

usage: reload.py FEEDWATCH FEEDWATCH_GEN
"""
import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import fwrun

RELOADS = 20


def ctl(fw, sock, cmd, timeout=120):
    return subprocess.run([fw, "ctl", "--control", sock, cmd], capture_output=True, text=True,
                          timeout=timeout)


def generation(fw, sock):
    r = ctl(fw, sock, "watchlists")
    if r.returncode != 0:
        return None
    first = r.stdout.split()
    return int(first[1].rstrip(":")) if len(first) > 1 and first[0] == "generation" else None


def wait_generation(fw, sock, want, limit=60):
    end = time.time() + limit
    while time.time() < end:
        if generation(fw, sock) == want:
            return True
        time.sleep(0.02)
    return False


def main():
    fw, gen = sys.argv[1], sys.argv[2]
    fails = []
    with tempfile.TemporaryDirectory(prefix="fwreload-") as tmp:
        cap = os.path.join(tmp, "r.pcap")
        frames = fwrun.generate(gen, cap, "--seed", "30", "--items", "3000", "--terms", "300",
                                "--hit-rate", "0.03")
        if frames is None:
            return 1
        wl = os.path.join(tmp, "wl")
        shutil.copytree(cap + ".watchlists", wl)
        cfg = os.path.join(tmp, "config.yaml")
        open(cfg, "w").write(
            "watchlists:\n  dir: %s\n  cache_dir: \"\"\n  watch: true\n"
            "dedup:\n  window: 0\n"
            "dpdk:\n  mbufs: %d\n" % (wl, max(8191, 2 * frames + 4096)))
        sock = os.path.join(tmp, "control.sock")
        journal = os.path.join(tmp, "journal")
        cmd = [fw, "run", "-c", cfg, "--socket", os.path.join(tmp, "alerts.sock"),
               "--journal", journal, "--control", sock, "--",
               "--vdev=net_pcap0,rx_pcap=%s,infinite_rx=1" % cap, "--no-pci"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            gen_id = None
            end = time.time() + 300
            while gen_id is None and time.time() < end and proc.poll() is None:
                time.sleep(0.05)
                gen_id = generation(fw, sock)
            while fwrun.journal_bytes(journal) == 0 and time.time() < end and proc.poll() is None:
                time.sleep(0.02)
            if gen_id != 1:
                fails.append("feedwatch did not come up (generation %r)" % gen_id)
            files = sorted(f for f in os.listdir(wl) if f.endswith(".yaml"))
            for i in range(RELOADS if not fails else 0):
                before = fwrun.journal_bytes(journal)
                how = ("ctl", "SIGHUP", "file")[i % 3]
                if how == "ctl":
                    r = ctl(fw, sock, "reload")
                    if r.returncode != 0 or "reloaded: generation %d" % (gen_id + 1) not in r.stdout:
                        fails.append("ctl reload %d: %s %s" % (i, r.stdout, r.stderr))
                elif how == "SIGHUP":
                    proc.send_signal(signal.SIGHUP)
                else:
                    # an editor's save: a new file renamed over the old one
                    path = os.path.join(wl, files[i % len(files)])
                    text = open(path).read() + "# edited %d\n" % i
                    open(path + ".tmp~", "w").write(text)
                    os.rename(path + ".tmp~", path)
                if not wait_generation(fw, sock, gen_id + 1):
                    fails.append("reload %d by %s: generation stayed at %r" %
                                 (i, how, generation(fw, sock)))
                    break
                gen_id += 1
                print("reload %2d by %-6s -> generation %d, journal %d -> %d bytes" %
                      (i + 1, how, gen_id, before, fwrun.journal_bytes(journal)))
            if generation(fw, sock) != RELOADS + 1:
                fails.append("final generation %r, want %d" % (generation(fw, sock), RELOADS + 1))
            flowing = fwrun.journal_bytes(journal)
            time.sleep(0.3)
            if fwrun.journal_bytes(journal) <= flowing:
                fails.append("no alert after the reloads: traffic was not flowing")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                _, err = proc.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
        if proc.returncode != 0:
            fails.append("feedwatch exited %d:\n%s" % (proc.returncode, err[-3000:]))
        counters = {}
        for line in err.splitlines():
            p = line.split()
            if len(p) == 4 and p[1] == "counter":
                counters[p[2]] = int(p[3])
        for c in ("alert_pool_empty", "alert_ring_full", "rx_spread_full", "match_scan_error"):
            if counters.get(c, 0) != 0:
                fails.append("counter %s = %d" % (c, counters[c]))
        reloaded = err.count("watchlists reloaded")
        if reloaded != RELOADS:
            fails.append("%d reloads logged, want %d" % (reloaded, RELOADS))
        want = set()
        for line in open(cap + ".truth.ndjson"):
            t = json.loads(line)
            if "watchlist" in t and not t["undetectable"]:
                want.add((t["url"], t["id"], t["watchlist"]))
        seqs, got = [], collections.Counter()
        for line in fwrun.read_journal(journal).splitlines():
            a = json.loads(line)
            seqs.append(a["seq"])
            got[(a["feed"]["url"], a["item"]["id"], a["watchlist"])] += 1
        if seqs != list(range(1, len(seqs) + 1)):
            fails.append("seq is not 1..%d without gaps" % len(seqs))
        passes = counters.get("rx_packets", 0) // frames
        extra = [k for k in got if k not in want]
        if extra:
            fails.append("%d alerts not in the truth, e.g. %s" % (len(extra), extra[:3]))
        bad = [(k, got[k]) for k in want if got[k] not in (passes, passes + 1)]
        if bad:
            fails.append("%d expected alerts seen a wrong number of times (want %d or %d), "
                         "e.g. %s" % (len(bad), passes, passes + 1, bad[:3]))
        print("%d packets = %d whole passes over %d frames; %d alerts; %d expected per pass; "
              "%d reloads" % (counters.get("rx_packets", 0), passes, frames, len(seqs), len(want),
                              reloaded))
    for f in fails:
        print("FAIL", f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
