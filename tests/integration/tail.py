#!/usr/bin/env python3
"""`feedwatch tail` against a scripted server: the client side of the stream protocol.

A server written here (Unix or TCP socket) sends hello, alert, gap and notice
lines (every one checked against its schema first), records what the client
sends, and closes connections to force reconnects. Checked: --json
passthrough, --watchlist and --severity filters, the {"resume_after":N}
request after a reconnect (N = the last alert seen, or the previous hello's
last_seq when none was), --resume, duplicate drop, the TCP forms, --once exit
codes, SIGINT/SIGTERM exit 0, readable output (no escape codes unless a
terminal or --color=always), ECS lines, and an overlong line skipped.

usage: tail.py FEEDWATCH SOURCE_ROOT
"""

import json
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from schema_check import validate_lines  # noqa: E402

failures = []
FW = None
NATIVE = None
ECS = None


def expect(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL:", msg, flush=True)


def alert(seq, wl="wl-a", sev="high", title="Minister arrives"):
    return json.dumps({
        "seq": seq, "ts": "2025-11-28T10:00:00.000123Z", "watchlist": wl,
        "watchlist_version": "7", "severity": sev, "tags": ["t1"], "rule": None,
        "hits": [{"term": "Minister", "field": "title", "offset": 0}], "hits_dropped": 0,
        "item": {"title": title, "link": "https://example.org/%d" % seq, "id": "id%d" % seq,
                 "published": "", "excerpt": ""},
        "feed": {"url": "http://example.org/feed", "format": "rss", "title": "Example"},
        "flow": {"src": "198.18.0.10:80", "dst": "198.18.0.20:5000", "proto": "tcp"},
        "latency_us": 5}, separators=(",", ":"))


def ecs_alert(seq, wl="wl-a", sev="high"):
    scores = {"info": 1, "low": 21, "medium": 47, "high": 73, "critical": 99}
    native = json.loads(alert(seq, wl, sev))
    fw = {k: native[k] for k in native if k not in ("ts", "tags")}
    return json.dumps({
        "@timestamp": native["ts"], "message": "%s: %s" % (wl, native["item"]["title"]),
        "ecs": {"version": "8.11.0"},
        "event": {"kind": "alert", "category": ["intrusion_detection"], "type": ["info"],
                  "module": "feedwatch", "dataset": "feedwatch.alert", "severity": scores[sev],
                  "risk_score": scores[sev], "sequence": seq, "id": "node:%d" % seq},
        "log": {"level": sev},
        "rule": {"id": wl, "name": wl, "version": "7", "ruleset": "feedwatch"},
        "url": {"full": native["item"]["link"]}, "tags": ["t1"],
        "observer": {"hostname": "node", "type": "ids", "vendor": "feedwatch",
                     "product": "feedwatch"},
        "source": {"ip": "198.18.0.10", "port": 80},
        "destination": {"ip": "198.18.0.20", "port": 5000},
        "network": {"transport": "tcp"}, "feedwatch": fw}, separators=(",", ":"))


def hello(last_seq, fmt="feedwatch"):
    return json.dumps({"hello": {"version": "0.1.0", "node": "node", "format": fmt,
                                 "last_seq": last_seq}}, separators=(",", ":"))


def gap(a, b, reason="slow"):
    return json.dumps({"gap": {"from": a, "to": b, "reason": reason}}, separators=(",", ":"))


def notice(kind, msg, last_seq):
    return json.dumps({"notice": {"type": kind, "message": msg, "last_seq": last_seq}},
                      separators=(",", ":"))


def checked(lines, schema):
    """Every line a test sends must be one the real server could send."""
    for n, problem in validate_lines(schema, lines):
        expect(False, "test line %d breaks %s: %s" % (n, os.path.basename(schema), problem))
    return lines


class Server:
    """Accepts connections; the i-th runs scripts[i] (a list of lines, then close).

    Connections beyond the scripts are closed at once. requests[i] is what the
    client sent on connection i within the first 300 ms.
    """

    def __init__(self, scripts, family="unix", path=None, linger=0.0):
        self.scripts = list(scripts)
        self.requests = []
        self.linger = linger
        if family == "unix":
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(path)
            self.address = path
        else:
            fam = socket.AF_INET6 if family == "tcp6" else socket.AF_INET
            self.sock = socket.socket(fam, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            host = "::1" if family == "tcp6" else "127.0.0.1"
            self.sock.bind((host, 0))
            port = self.sock.getsockname()[1]
            self.address = "[::1]:%d" % port if family == "tcp6" else "127.0.0.1:%d" % port
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(0.3)
                got = b""
                try:
                    while not got.endswith(b"\n"):
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        got += chunk
                except socket.timeout:
                    pass
                self.requests.append(got.decode())
                if not self.scripts:
                    continue
                lines = self.scripts.pop(0)
                try:
                    for line in lines:
                        conn.sendall(line.encode() + b"\n")
                except OSError:
                    pass
                time.sleep(self.linger)

    def close(self):
        self.done.set()
        self.sock.close()
        self.thread.join(timeout=5)


def tail(args, timeout=10, env=None):
    p = subprocess.run([FW, "tail"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, env=env)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def seqs(out):
    return [json.loads(line)["seq"] for line in out.splitlines() if line.startswith('{"seq"')]


def follow_until(args, want_lines, timeout=10):
    """Run tail without --once until <want_lines> stdout lines arrived, then SIGTERM."""
    p = subprocess.Popen([FW, "tail"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = b""
    deadline = time.time() + timeout
    while out.count(b"\n") < want_lines and time.time() < deadline:
        r, _, _ = select.select([p.stdout], [], [], 0.2)
        if r:
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
    time.sleep(0.3)  # anything more (a duplicate) would arrive now
    p.send_signal(signal.SIGTERM)
    rest, err = p.communicate(timeout=10)
    return p.returncode, (out + rest).decode(), err.decode()


def test_json_passthrough(d):
    lines = checked([hello(0), alert(1), alert(2, "wl-b", "low"), gap(3, 4),
                     alert(5, title='quote " and \\u001b escape'),
                     notice("disconnect", "shutting down", 5)], NATIVE)
    sock = os.path.join(d, "a.sock")
    srv = Server([lines], path=sock)
    rc, out, err = tail(["--socket", sock, "--once", "--json"])
    srv.close()
    expect(rc == 0, "--json --once: exit %d (%s)" % (rc, err))
    expect(out == "".join(line + "\n" for line in lines),
           "--json: not every line as received: %r" % out)
    expect(srv.requests == [""], "no request expected without --resume: %r" % srv.requests)
    # piped without --json: the same
    os.unlink(sock)
    srv = Server([lines], path=sock)
    rc, out2, err = tail(["--socket", sock, "--once"])
    srv.close()
    expect(out2 == out, "piped output differs from --json: %r" % out2)


def test_filters(d):
    lines = checked([hello(0), alert(1, "wl-a", "info"), alert(2, "wl-b", "low"),
                     alert(3, "wl-c", "medium"), alert(4, "wl-a", "high"),
                     alert(5, "wl-b", "critical"), gap(6, 7), alert(8, "wl-d", "critical")],
                    NATIVE)
    sock = os.path.join(d, "f.sock")
    cases = [
        (["--watchlist", "wl-a"], [1, 4]),
        (["--watchlist", "wl-a,wl-b"], [1, 2, 4, 5]),
        (["-w", "wl-c", "--watchlist", "wl-d"], [3, 8]),
        (["--severity", "high"], [4, 5, 8]),
        (["--severity", "info"], [1, 2, 3, 4, 5, 8]),
        (["--severity", "critical", "--watchlist", "wl-b"], [5]),
    ]
    for args, want in cases:
        if os.path.exists(sock):
            os.unlink(sock)
        srv = Server([lines], path=sock)
        rc, out, err = tail(["--socket", sock, "--once"] + args)
        srv.close()
        expect(rc == 0 and seqs(out) == want, "%s: %s, want %s" % (args, seqs(out), want))
        expect(out.startswith(lines[0] + "\n") and gap(6, 7) + "\n" in out,
               "%s: hello and gap must pass through: %r" % (args, out))
    for bad in (["--severity", "urgent"], ["--severity", "HIGH"], ["--watchlist", ","],
                ["--resume", "x"], ["--color=sometimes"], ["--json", "--text"], ["extra"]):
        rc, out, err = tail(["--socket", sock, "--once"] + bad)
        expect(rc == 2 and "usage: feedwatch tail" in err, "%s: exit %d" % (bad, rc))


def test_resume_after_reconnect(d):
    sock = os.path.join(d, "r.sock")
    scripts = [
        checked([hello(5), alert(6), alert(7)], NATIVE),
        # a reconnect race: 7 again, then 8, 9
        checked([hello(9), alert(7), alert(8), alert(9)], NATIVE),
    ]
    srv = Server(scripts, path=sock)
    rc, out, err = follow_until(["--socket", sock, "--json"], want_lines=2 + 4)
    srv.close()
    expect(rc == 0, "SIGTERM: exit %d" % rc)
    expect(seqs(out) == [6, 7, 8, 9], "reconnect: seqs %s, want 6 7 8 9 once each" % seqs(out))
    expect(len(srv.requests) >= 2 and srv.requests[0] == "" and
           srv.requests[1] == '{"resume_after":7}\n',
           "reconnect request: %r" % srv.requests[:2])
    # a third connection (refused by the script's end) asks after 9
    expect(len(srv.requests) < 3 or srv.requests[2] == '{"resume_after":9}\n',
           "second reconnect request: %r" % srv.requests)


def test_resume_from_hello_when_none_seen(d):
    sock = os.path.join(d, "h.sock")
    scripts = [checked([hello(12)], NATIVE), checked([hello(14), alert(13), alert(14)], NATIVE)]
    srv = Server(scripts, path=sock)
    rc, out, err = follow_until(["--socket", sock, "--json"], want_lines=1 + 3)
    srv.close()
    expect(len(srv.requests) >= 2 and srv.requests[1] == '{"resume_after":12}\n',
           "no alert seen: reconnect must ask after hello's last_seq 12: %r" % srv.requests)
    expect(seqs(out) == [13, 14], "after hello resume: %s" % seqs(out))


def test_resume_option(d):
    sock = os.path.join(d, "o.sock")
    srv = Server([checked([hello(50), alert(40), alert(41), alert(42)], NATIVE)], path=sock)
    rc, out, err = tail(["--socket", sock, "--once", "--resume", "40"])
    srv.close()
    expect(srv.requests == ['{"resume_after":40}\n'], "--resume 40: %r" % srv.requests)
    expect(seqs(out) == [41, 42], "--resume 40: %s (40 is not after 40)" % seqs(out))


def test_state_file(d):
    state = os.path.join(d, "archive.seq")
    srv = Server([checked([hello(3), alert(4), alert(5)], NATIVE)],
                 path=os.path.join(d, "s1.sock"))
    rc, out, err = tail(["--socket", srv.address, "--once", "--json", "--state", state])
    srv.close()
    expect(rc == 0 and seqs(out) == [4, 5], "--state, first run: exit %d %s" % (rc, seqs(out)))
    expect(open(state).read() == "5\n", "--state after 4, 5: %r" % open(state).read())
    # a restart asks after what the file says, and writes where it got to
    srv = Server([checked([hello(7), alert(6), alert(7)], NATIVE)],
                 path=os.path.join(d, "s2.sock"))
    rc, out, err = tail(["--socket", srv.address, "--once", "--json", "--state", state])
    srv.close()
    expect(srv.requests == ['{"resume_after":5}\n'], "--state restart: %r" % srv.requests)
    expect(seqs(out) == [6, 7] and open(state).read() == "7\n",
           "--state restart: %s, file %r" % (seqs(out), open(state).read()))
    # --resume wins over the file; a file that is not a seq is refused
    srv = Server([checked([hello(7), alert(3)], NATIVE)],
                 path=os.path.join(d, "s3.sock"))
    rc, out, err = tail(["--socket", srv.address, "--once", "--resume", "2", "--state", state])
    srv.close()
    expect(srv.requests == ['{"resume_after":2}\n'], "--resume with --state: %r" % srv.requests)
    with open(state, "w") as f:
        f.write("seven\n")
    rc, out, err = tail(["--socket", os.path.join(d, "none.sock"), "--once", "--state", state])
    expect(rc == 1 and "archive.seq" in err, "bad --state file: exit %d %r" % (rc, err))
    # written within a second while the stream stays open, not only at exit
    os.unlink(state)
    srv = Server([checked([hello(0), alert(1), alert(2)], NATIVE)],
                 path=os.path.join(d, "s4.sock"), linger=3.0)
    p = subprocess.Popen([FW, "tail", "--socket", srv.address, "--json", "--state", state],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2.0)
    got = open(state).read() if os.path.exists(state) else None
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=10)
    srv.close()
    expect(got == "2\n", "--state while idle after alerts: %r" % got)


def test_tcp(d):
    for family in ("tcp", "tcp6"):
        try:
            srv = Server([checked([hello(0), alert(1), alert(2)], NATIVE)], family=family)
        except OSError as e:
            print("skip %s: %s" % (family, e))
            continue
        for spec in (srv.address, "tcp://" + srv.address):
            if not srv.scripts:
                srv.scripts.append(checked([hello(0), alert(1), alert(2)], NATIVE))
            rc, out, err = tail(["--socket", spec, "--once"])
            expect(rc == 0 and seqs(out) == [1, 2], "%s: exit %d, %s (%s)" %
                   (spec, rc, seqs(out), err))
        srv.close()


def test_once_exit_codes(d):
    rc, out, err = tail(["--socket", os.path.join(d, "none.sock"), "--once"])
    expect(rc == 1 and "none.sock" in err, "--once, nothing listening: exit %d %r" % (rc, err))
    rc, out, err = tail(["--socket", "127.0.0.1:1", "--once"])
    expect(rc == 1, "--once, TCP refused: exit %d" % rc)


def test_signals(d):
    for sig in (signal.SIGINT, signal.SIGTERM):
        # nothing listening: it waits, saying so once on stderr
        p = subprocess.Popen([FW, "tail", "--socket", os.path.join(d, "none.sock")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.8)
        p.send_signal(sig)
        out, err = p.communicate(timeout=10)
        expect(p.returncode == 0, "%s while waiting: exit %d" % (sig.name, p.returncode))
        expect(err.decode().count("\n") == 1, "waiting: one stderr line, got %r" % err)


def test_pretty(d):
    lines = checked([hello(3), alert(4, "wl-a", "critical"), gap(120, 180),
                     gap(181, 190, "retention"), alert(191, title="bell \u0007 esc \u001b[31m"),
                     notice("disconnect", "shutting down", 191)], NATIVE)
    sock = os.path.join(d, "p.sock")
    srv = Server([lines], path=sock)
    rc, out, err = tail(["--socket", sock, "--once", "--text"])
    srv.close()
    expect(rc == 0, "--text: exit %d" % rc)
    expect("\x1b" not in out and "\x07" not in out,
           "--text, not a terminal: no escape or control bytes: %r" % out)
    expect("#4  wl-a  [critical]" in out and "item:  Minister arrives" in out,
           "--text: readable alert missing: %r" % out)
    expect("bell ? esc ?[31m" in out, "control characters must print as '?': %r" % out)
    expect("alerts 120..180 were skipped (slow reader); `feedwatch tail --resume 119` "
           "replays them" in err, "gap line on stderr: %r" % err)
    expect("181..190" in err and "shutting down" in err and "last alert #3" in err,
           "retention gap, notice and hello on stderr: %r" % err)
    expect(err.count("\n") == 4, "one stderr line each for hello, 2 gaps, notice: %r" % err)

    os.unlink(sock)
    srv = Server([lines], path=sock)
    rc, out, err = tail(["--socket", sock, "--once", "--color=always"])
    srv.close()
    expect("\x1b[1mwl-a\x1b[0m" in out and "\x1b[1;37;41m[critical]\x1b[0m" in out,
           "--color=always: watchlist bold, severity coloured: %r" % out)

    # a terminal: colour by default, none with NO_COLOR or --color=never
    for extra, env_add, want_color in (([], {}, True), ([], {"NO_COLOR": "1"}, False),
                                       (["--color=never"], {}, False)):
        os.unlink(sock)
        srv = Server([lines], path=sock)
        env = dict(os.environ)
        env.pop("NO_COLOR", None)
        env.update(env_add)
        master, slave = pty.openpty()
        p = subprocess.Popen([FW, "tail", "--socket", sock, "--once"] + extra, stdout=slave,
                             stderr=subprocess.PIPE, env=env)
        os.close(slave)
        got = b""
        while True:
            try:
                r, _, _ = select.select([master], [], [], 5)
                if not r:
                    break
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
        p.wait(timeout=10)
        os.close(master)
        srv.close()
        text = got.decode(errors="replace")
        expect("#4  " in text, "terminal %s %s: no readable alert: %r" % (extra, env_add, text))
        expect(("\x1b[" in text) == want_color,
               "terminal %s %s: colour %s expected: %r" % (extra, env_add, want_color, text))


def test_ecs_lines(d):
    lines = checked([hello(0, "ecs"), ecs_alert(1, "wl-e", "medium"),
                     ecs_alert(2, "wl-f", "low")], ECS)
    sock = os.path.join(d, "e.sock")
    srv = Server([lines], path=sock)
    rc, out, err = tail(["--socket", sock, "--once", "--watchlist", "wl-e"])
    srv.close()
    expect(out == lines[0] + "\n" + lines[1] + "\n", "ECS filter passthrough: %r" % out)
    os.unlink(sock)
    srv = Server([lines], path=sock)
    rc, out, err = tail(["--socket", sock, "--once", "--text", "--severity", "low"])
    srv.close()
    expect("#1  wl-e  [medium]" in out and "#2  wl-f  [low]" in out,
           "ECS alerts printed readably: %r" % out)


def test_long_line_skipped(d):
    sock = os.path.join(d, "l.sock")
    huge = '{"seq":1,"pad":"' + "x" * 300000 + '"}'
    srv = Server([[hello(0), huge, alert(2)]], path=sock)
    rc, out, err = tail(["--socket", sock, "--once"])
    srv.close()
    expect(seqs(out) == [2] and out.count("\n") == 2,
           "a line over the buffer is skipped to its end: %r" % out[:200])
    expect("longer than" in err and err.count("longer than") == 1, "reported once: %r" % err)


def main():
    global FW, NATIVE, ECS
    FW, root = sys.argv[1:3]
    NATIVE = os.path.join(root, "pipeline", "alert", "alert.schema.json")
    ECS = os.path.join(root, "pipeline", "alert", "alert-ecs.schema.json")
    tests = [test_json_passthrough, test_filters, test_resume_after_reconnect,
             test_resume_from_hello_when_none_seen, test_resume_option, test_state_file, test_tcp,
             test_once_exit_codes, test_signals, test_pretty, test_ecs_lines,
             test_long_line_skipped]
    for t in tests:
        with tempfile.TemporaryDirectory(prefix="fw-tail-") as d:
            before = len(failures)
            t(d)
            print("%s %s" % ("ok  " if len(failures) == before else "FAIL", t.__name__),
                  flush=True)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
