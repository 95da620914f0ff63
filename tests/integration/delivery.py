"""Alert delivery with the real binary, its real sockets and its journal.

feedwatch runs on a generated capture that net_pcap replays in a loop, so
alerts keep coming. Readers, all at once:
  - `feedwatch tail --json --resume 0` (the journal from its start, then live),
    which reconnects with resume_after by itself;
  - a reader that takes some alerts, hangs up, and comes back with
    {"resume_after":N};
  - a reader that never reads: past output.client_buffer it must get whole
    lines, then a disconnect notice, then EOF, without slowing the others.
Then feedwatch is killed with SIGKILL mid-stream and started again on the
same journal. Afterwards:
  - the journal holds seq 1..M with no gap and no repeat, across the kill,
    over more than one segment;
  - tail saw exactly 1..M, in order, and so did the resuming reader from its
    first alert to its last;
  - every line any reader saw is valid under alert.schema.json.
Last, the demo capture with output.format: ecs: every socket line valid
under alert-ecs.schema.json, one per journal line.

usage: delivery.py FEEDWATCH FEEDWATCH_GEN SOURCE_ROOT DEMO_PCAP
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
from schema_check import validate_lines

fails = []


def check(cond, msg):
    if not cond:
        fails.append(msg)
    return cond


def journal_seqs(path):
    return [json.loads(l)["seq"] for l in fwrun.read_journal(path).splitlines()]


def start(fw, cfg, cap, tmp, tag):
    log = open(os.path.join(tmp, "fw-%s.log" % tag), "w")
    cmd = [fw, "run", "-c", cfg, "--", "--vdev=net_pcap0,rx_pcap=%s,infinite_rx=1" % cap,
           "--no-pci"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log), log


def wait_for(pred, limit, proc=None):
    end = time.time() + limit
    while time.time() < end:
        if pred():
            return True
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def connect(path, limit=120):
    end = time.time() + limit
    while time.time() < end:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            time.sleep(0.05)
    return None


def read_lines(s, buf, want_alerts, limit):
    """Read from <s> until <want_alerts> alert lines arrived; returns (lines, rest)."""
    lines, alerts = [], 0
    s.settimeout(limit)
    end = time.time() + limit
    while alerts < want_alerts and time.time() < end:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, _, buf = buf.partition(b"\n")
            lines.append(line.decode())
            alerts += line.startswith(b'{"seq":')
    return lines, buf


def drain(s):
    """Everything <s> has until EOF (or 15 s of silence)."""
    data = b""
    s.settimeout(15)
    while True:
        try:
            chunk = s.recv(65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data


def resuming_reader(sock_path):
    """Take 50 alerts, hang up, come back with resume_after and take 50 more."""
    seen = []
    s = connect(sock_path)
    lines, _ = read_lines(s, b"", 50, 60)
    s.close()
    all_lines = list(lines)
    seen = [json.loads(l)["seq"] for l in lines if l.startswith('{"seq":')]
    time.sleep(0.5)  # alerts written meanwhile must come back
    s = connect(sock_path)
    s.sendall(b'{"resume_after":%d}\n' % seen[-1])
    lines, _ = read_lines(s, b"", 50, 60)
    s.close()
    all_lines += lines
    seen += [json.loads(l)["seq"] for l in lines if l.startswith('{"seq":')]
    return seen, all_lines


def main():
    fw, gen, root, demo_pcap = sys.argv[1:5]
    schema = os.path.join(root, "pipeline/alert/alert.schema.json")
    ecs_schema = os.path.join(root, "pipeline/alert/alert-ecs.schema.json")
    with tempfile.TemporaryDirectory(prefix="fwdeliver-") as tmp:
        cap = os.path.join(tmp, "d.pcap")
        frames = fwrun.generate(gen, cap, "--seed", "8", "--items", "2000", "--terms", "200",
                                "--hit-rate", "0.02")
        if frames is None:
            return 1
        sock = os.path.join(tmp, "alerts.sock")
        ctl = os.path.join(tmp, "control.sock")
        journal = os.path.join(tmp, "journal")
        cfg = os.path.join(tmp, "config.yaml")
        open(cfg, "w").write(
            "watchlists:\n  dir: %s\n  cache_dir: \"\"\n  watch: false\n"
            "dedup:\n  window: 0\n"
            "control:\n  socket: %s\n"
            "output:\n  socket: %s\n  client_buffer: 1048576\n  resume_wait: 300ms\n"
            "journal:\n  dir: %s\n  segment_bytes: 1048576\n  fsync: never\n"
            "dpdk:\n  mbufs: %d\n"
            % (cap + ".watchlists", ctl, sock, journal, max(8191, 2 * frames + 4096)))

        proc, log_a = start(fw, cfg, cap, tmp, "a")
        tail_out = open(os.path.join(tmp, "tail.ndjson"), "w")
        tail_err = open(os.path.join(tmp, "tail.err"), "w")
        tail = None
        try:
            check(wait_for(lambda: os.path.exists(sock), 300, proc), "feedwatch did not start")
            tail = subprocess.Popen([fw, "tail", "--json", "--resume", "0", "--socket", sock],
                                    stdout=tail_out, stderr=tail_err)
            slow = connect(sock)
            slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            seen, resumed_lines = resuming_reader(sock)
            def cut_off():
                out = subprocess.run([fw, "ctl", "--control", ctl, "stats", "--json"],
                                     capture_output=True, text=True, timeout=30).stdout
                return json.loads(out)["counters"]["alert_clients_slow"] if out else -1
            check(wait_for(lambda: cut_off() == 1, 120, proc),
                  "the silent reader was not cut off: alert_clients_slow %d" % cut_off())
            def stats_json():
                return json.loads(subprocess.run([fw, "ctl", "--control", ctl, "stats", "--json"],
                                                 capture_output=True, text=True,
                                                 timeout=30).stdout)
            wait_for(lambda: stats_json()["rates"], 10)  # rates come after a second's sample
            js = stats_json()
            check(js["rates"].get("rx_packets", 0) > 0 and
                  js["sources"]["writer"].get("alert_written", 0) ==
                  js["counters"]["alert_written"] and "worker0" in js["sources"],
                  "ctl stats --json: rates %s, sources %s" % (js["rates"], list(js["sources"])))
            table = subprocess.run([fw, "ctl", "--control", ctl, "stats"], capture_output=True,
                                   text=True, timeout=30).stdout
            print(table)
            check(table.startswith("counter ") and "\nalert_written " in table,
                  "ctl stats is not a table: " + table[:300])
            listing = subprocess.run([fw, "ctl", "--control", ctl, "clients"],
                                     capture_output=True, text=True, timeout=30).stdout
            print(listing)
            check(listing.startswith("clients ") and " state live " in listing and
                  " state closing " in listing,
                  "ctl clients does not show the live tail and the cut-off reader: " + listing)
            ver = subprocess.run([fw, "ctl", "--control", ctl, "version"], capture_output=True,
                                 text=True, timeout=30).stdout
            check(ver.startswith("feedwatch ") and "hyperscan" in ver and "libnats" in ver,
                  "ctl version: " + ver)
            # it reads again (within the server's linger): whole lines, the notice, EOF
            slow_data = drain(slow)
            check(wait_for(lambda: len(journal_seqs(journal)) >= 3000, 240, proc),
                  "fewer than 3000 alerts before the kill")
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            before = journal_seqs(journal)
            print("killed with %d alerts in the journal" % len(before))

            proc, log_b = start(fw, cfg, cap, tmp, "b")
            check(wait_for(lambda: len(journal_seqs(journal)) >= len(before) + 2000, 240, proc),
                  "fewer than 2000 alerts after the restart")
            proc.send_signal(signal.SIGTERM)
            check(proc.wait(timeout=120) == 0, "feedwatch exited %s" % proc.returncode)
            log_b.close()
            after = journal_seqs(journal)
            last = after[-1] if after else 0
            # tail reconnects while no server runs; give it time to catch up, then stop it
            tail_seqs = lambda: [json.loads(l)["seq"] for l in
                                 open(tail_out.name).read().splitlines() if l.startswith('{"seq":')]
            wait_for(lambda: tail_seqs()[-1:] == [last], 30)
        finally:
            if tail is not None:
                tail.send_signal(signal.SIGTERM)
                tail.wait(timeout=30)
            if proc.poll() is None:
                proc.kill()
        tail_out.close()
        tail_err.close()

        check(after == list(range(1, len(after) + 1)),
              "journal seq is not 1..%d without gap or repeat" % len(after))
        check(len(after) > len(before) >= 3000, "journal %d lines, %d before the kill" %
              (len(after), len(before)))
        segs = [f for f in os.listdir(journal) if f.startswith("alerts-")]
        check(len(segs) > 1, "one segment only: rotation untested")
        b_log = open(os.path.join(tmp, "fw-b.log")).read()
        check("the next is %d" % (len(before) + 1) in b_log,
              "the restart did not continue after %d: %s" % (len(before), b_log[:2000]))

        text = open(tail_out.name).read().splitlines()
        seqs = [json.loads(l)["seq"] for l in text if l.startswith('{"seq":')]
        check(seqs == after, "tail saw %d alerts (%s..%s), the journal %d" %
              (len(seqs), seqs[:1], seqs[-1:], len(after)))
        for n, p in validate_lines(schema, text)[:5]:
            check(False, "tail line %d: %s" % (n, p))
        check(seen == list(range(seen[0], seen[0] + len(seen))) and len(seen) >= 100,
              "the resuming reader saw %s..%s (%d alerts) with a gap or repeat" %
              (seen[:1], seen[-1:], len(seen)))
        for n, p in validate_lines(schema, resumed_lines)[:5]:
            check(False, "resuming reader line %d: %s" % (n, p))

        # the silent reader: whole lines, then the notice, then EOF
        slow_lines = slow_data.decode().split("\n")
        check(slow_lines[-1] == "", "the silent reader's stream ends mid-line")
        slow_lines = slow_lines[:-1]
        notice = [l for l in slow_lines if l.startswith('{"notice":')]
        check(len(notice) == 1 and slow_lines[-1] == notice[0] and
              '"type":"disconnect"' in notice[0], "no final disconnect notice: %s" % notice)
        got = [json.loads(l)["seq"] for l in slow_lines if l.startswith('{"seq":')]
        if notice:
            check(json.loads(notice[0])["notice"]["last_seq"] == (got[-1] if got else 0),
                  "the notice's last_seq is not the last alert sent")
        for n, p in validate_lines(schema, slow_lines)[:5]:
            check(False, "silent reader line %d: %s" % (n, p))
        print("journal %d alerts in %d segments (%d before the kill); tail %d; resuming reader "
              "%d; silent reader %d then cut off" % (len(after), len(segs), len(before),
                                                     len(seqs), len(seen), len(got)))

        # ECS layout on the socket; the journal stays native
        ecfg = os.path.join(tmp, "ecs.yaml")
        open(ecfg, "w").write(
            "watchlists:\n  dir: %s\n  cache_dir: \"\"\n"
            "output:\n  format: ecs\n"
            "tcp:\n  max_flows: 1024\nlimits:\n  feed_parsers: 16\n"
            "dpdk:\n  mbufs: 4095\n  rx_desc: 512\n" % os.path.join(root, "configs/watchlists"))
        etmp = os.path.join(tmp, "ecs")
        os.mkdir(etmp)
        r = fwrun.run(fw, demo_pcap, ecfg, etmp, timeout=120)
        check(r["rc"] == 0 and r["hello"] is not None and r["hello"]["format"] == "ecs",
              "the ECS run failed: %s" % r["stderr"][-2000:])
        elines = [l for l in r["lines"].splitlines() if l]
        jlines = r["journal"].splitlines()
        check(len(elines) == len(jlines) > 0, "ECS lines %d, journal %d" %
              (len(elines), len(jlines)))
        for n, p in validate_lines(ecs_schema, elines)[:5]:
            check(False, "ECS line %d: %s" % (n, p))
        for e, j in zip(elines, jlines):
            e, j = json.loads(e), json.loads(j)
            check(e["event"]["sequence"] == j["seq"] and e["rule"]["id"] == j["watchlist"] and
                  e["rule"]["version"] == j["watchlist_version"],
                  "ECS line %s does not match journal line %s" % (e["event"], j["seq"]))
        print("ECS: %d lines checked" % len(elines))

        # 1,000 readers of the real binary: each gets the hello and every alert, whole
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
        mtmp = os.path.join(tmp, "many")
        os.mkdir(mtmp)
        mcfg = os.path.join(mtmp, "many.yaml")
        msock = os.path.join(mtmp, "alerts.sock")
        open(mcfg, "w").write(
            "watchlists:\n  dir: %s\n  cache_dir: \"\"\n"
            "output:\n  socket: %s\n  max_clients: 1000\n"
            "journal:\n  dir: %s\n"
            "tcp:\n  max_flows: 1024\nlimits:\n  feed_parsers: 16\n"
            "dpdk:\n  mbufs: 4095\n  rx_desc: 512\n"
            % (os.path.join(root, "configs/watchlists"), msock, os.path.join(mtmp, "journal")))
        mlog = open(os.path.join(mtmp, "fw.log"), "w")
        many = subprocess.Popen([fw, "run", "--pcap", demo_pcap, "-c", mcfg, "--control",
                                 os.path.join(mtmp, "c.sock"), "--wait-clients", "1000"],
                                stdout=subprocess.DEVNULL, stderr=mlog)
        readers = []
        for _ in range(1000):
            s = connect(msock)
            if s is None:
                break
            readers.append(s)
        rc = many.wait(timeout=120)
        mlog.close()
        check(rc == 0 and len(readers) == 1000, "1,000 readers: %d connected, feedwatch exited %s"
              % (len(readers), rc))
        jl = fwrun.read_journal(os.path.join(mtmp, "journal"))
        streams = collections.Counter()
        for s in readers:
            _, rest = fwrun.split_hello(drain(s).decode())
            s.close()
            streams[rest == jl] += 1
        check(streams[True] == 1000 and jl != "",
              "of 1,000 readers %d got every alert line of the journal" % streams[True])
        print("1,000 readers: %d got the journal's %d alert line(s) exactly" %
              (streams[True], jl.count("\n")))

    for f in fails:
        print("FAIL: " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
