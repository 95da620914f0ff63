"""The NATS JetStream sink with the real binary and a real nats-server -js.

Node A runs a generated capture that net_pcap replays in a loop, so alerts
keep coming, and publishes them to JetStream. Mid-stream the NATS server is
stopped (SIGTERM), alerts go on into the journal, and the server is started
again on the same port and store. Node B, another feedwatch with its own
node id and journal, publishes the demo capture into the same stream.
Afterwards every alert of each node's journal is in the stream exactly once,
under feedwatch.alerts.<watchlist>, with message id <node>:<seq> and the
journal line as its body, and nothing else is.

usage: nats.py FEEDWATCH FEEDWATCH_GEN FEEDWATCH_NATSDUMP SOURCE_ROOT DEMO_PCAP
"""
import collections
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import fwrun

fails = []


def check(cond, msg):
    if not cond:
        fails.append(msg)
    return cond


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_server(port, store, log):
    p = subprocess.Popen(["nats-server", "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", store],
                         stdout=log, stderr=log)
    end = time.time() + 30
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return p
        except OSError:
            time.sleep(0.05)
    p.kill()
    raise SystemExit("nats-server did not start")


def wait_for(pred, limit):
    end = time.time() + limit
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


def stats(fw, ctl):
    out = subprocess.run([fw, "ctl", "--control", ctl, "stats", "--json"], capture_output=True,
                         text=True, timeout=30).stdout
    return json.loads(out)["counters"] if out else {}


def token(name):
    t = "".join(c if c.isalnum() and c.isascii() or c in "-_" else "_" for c in name)
    return t or "_"


def main():
    fw, gen, dump, root, demo_pcap = sys.argv[1:6]
    with tempfile.TemporaryDirectory(prefix="fwnats-") as tmp:
        port = free_port()
        url = "nats://127.0.0.1:%d" % port
        store = os.path.join(tmp, "store")
        slog = open(os.path.join(tmp, "nats.log"), "w")
        server = start_server(port, store, slog)

        cap = os.path.join(tmp, "n.pcap")
        frames = fwrun.generate(gen, cap, "--seed", "11", "--items", "2000", "--terms", "200",
                                "--hit-rate", "0.02")
        if frames is None:
            return 1
        ctl = os.path.join(tmp, "control.sock")
        jdir = os.path.join(tmp, "journal-a")
        cfg = os.path.join(tmp, "a.yaml")
        open(cfg, "w").write(
            "watchlists:\n  dir: %s\n  cache_dir: \"\"\n  watch: false\n"
            "dedup:\n  window: 0\n"
            "control:\n  socket: %s\n"
            "output:\n  socket: %s\n"
            "journal:\n  dir: %s\n  fsync: never\n"
            "nats:\n  url: %s\n  node: node-a\n  max_pending: 256\n  ack_timeout: 1s\n"
            "dpdk:\n  mbufs: %d\n"
            % (cap + ".watchlists", ctl, os.path.join(tmp, "a.sock"), jdir, url,
               max(8191, 2 * frames + 4096)))
        alog = open(os.path.join(tmp, "a.log"), "w")
        node_a = subprocess.Popen([fw, "run", "-c", cfg, "--",
                                   "--vdev=net_pcap0,rx_pcap=%s,infinite_rx=1" % cap, "--no-pci"],
                                  stdout=subprocess.DEVNULL, stderr=alog)
        outage = {}
        try:
            check(wait_for(lambda: os.path.exists(ctl) and
                           stats(fw, ctl).get("nats_published", 0) >= 1000, 300),
                  "node-a published fewer than 1000 alerts")
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
            outage["stopped_at"] = stats(fw, ctl).get("nats_published", 0)
            written = stats(fw, ctl).get("alert_written", 0)
            # alerts keep coming while the server is down: they wait in the journal
            check(wait_for(lambda: stats(fw, ctl).get("alert_written", 0) >= written + 2000, 120),
                  "fewer than 2000 alerts written during the outage")
            s = stats(fw, ctl)
            outage["pending"] = s.get("nats_pending", 0)
            outage["published_during"] = s.get("nats_published", 0) - outage["stopped_at"]
            check(s.get("nats_pending", 0) <= 256, "nats_pending %d above max_pending 256" %
                  s.get("nats_pending", 0))
            server = start_server(port, store, slog)
            written = stats(fw, ctl).get("alert_written", 0)
            check(wait_for(lambda: stats(fw, ctl).get("nats_published", 0) >= written, 120),
                  "node-a did not catch up after the server came back")
            node_a.send_signal(signal.SIGTERM)
            check(node_a.wait(timeout=120) == 0, "node-a exited %s" % node_a.returncode)
        finally:
            if node_a.poll() is None:
                node_a.kill()
        alog.close()
        a_log = open(alog.name).read()
        counters = {}
        for line in a_log.splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[1] == "counter":
                counters[parts[2]] = int(parts[3])

        # node B: the demo capture, its own journal and node id, the same stream
        bcfg = os.path.join(tmp, "b.yaml")
        open(bcfg, "w").write(
            "watchlists:\n  dir: %s\n  cache_dir: \"\"\n"
            "nats:\n  url: %s\n  node: node-b\n"
            "tcp:\n  max_flows: 1024\nlimits:\n  feed_parsers: 16\n"
            "dpdk:\n  mbufs: 4095\n  rx_desc: 512\n" % (os.path.join(root, "configs/watchlists"),
                                                       url))
        btmp = os.path.join(tmp, "b")
        os.mkdir(btmp)
        rb = fwrun.run(fw, demo_pcap, bcfg, btmp, timeout=120)
        check(rb["rc"] == 0, "node-b failed: %s" % rb["stderr"][-2000:])

        d = subprocess.run([dump, "--url", url, "--stream", "FEEDWATCH"], capture_output=True,
                           text=True, timeout=300)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        check(d.returncode == 0, "feedwatch-natsdump failed: %s" % d.stderr)
        msgs = [json.loads(l) for l in d.stdout.splitlines() if l]
        ids = collections.Counter(m["msg_id"] for m in msgs)
        dups = [k for k, n in ids.items() if n > 1]
        check(not dups, "stored more than once: %s" % dups[:5])

        for node, journal in (("node-a", jdir), ("node-b", os.path.join(btmp, "journal"))):
            lines = fwrun.read_journal(journal).splitlines()
            want = {"%s:%d" % (node, json.loads(l)["seq"]): l for l in lines}
            got = {m["msg_id"]: m for m in msgs if m["msg_id"].startswith(node + ":")}
            missing = sorted(set(want) - set(got), key=lambda k: int(k.split(":")[1]))
            extra = sorted(set(got) - set(want))
            check(not missing, "%s: %d alerts of the journal are not in the stream, e.g. %s" %
                  (node, len(missing), missing[:5]))
            check(not extra, "%s: %d messages not in the journal, e.g. %s" %
                  (node, len(extra), extra[:5]))
            bad = [k for k in set(want) & set(got)
                   if got[k]["data"] != json.loads(want[k]) or
                   got[k]["subject"] != "feedwatch.alerts." +
                   token(json.loads(want[k])["watchlist"])]
            check(not bad, "%s: %d messages differ from their journal line or subject, e.g. %s" %
                  (node, len(bad), bad[:3]))
            print("%s: %d alerts in the journal, %d in the stream" % (node, len(want), len(got)))
        check(len(msgs) == len(ids), "duplicate message ids")
        check(counters.get("nats_published", 0) >= 3000, "node-a counted %s published" %
              counters.get("nats_published"))
        check(counters.get("nats_reconnects", 0) >= 1 or counters.get("nats_retried", 0) >= 1,
              "node-a counted no reconnect and no retry across the outage: %s" % counters)
        print("outage: %s; node-a counters: %s" % (outage, {k: v for k, v in counters.items()
                                                         if k.startswith("nats_")}))

    for f in fails:
        print("FAIL: " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
