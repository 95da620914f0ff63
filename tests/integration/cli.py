#!/usr/bin/env python3
"""The command line's contract: usage and exit codes, version, check.

usage: cli.py FEEDWATCH SOURCE_ROOT
"""

import json
import os
import struct
import subprocess
import sys
import tempfile

failures = []


def run(*args):
    p = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def expect(cond, msg):
    if not cond:
        failures.append(msg)


def relink(src, dst, link):
    """Rewrite an Ethernet pcap as link type <link>: the Ethernet header and VLAN tags replaced."""
    with open(src, "rb") as f:
        data = f.read()
    endian = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    out = [data[:20] + struct.pack(endian + "I", link)]
    off = 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        hl = 14
        etype = frame[12:14]
        while etype in (b"\x81\x00", b"\x88\xa8") and len(frame) >= hl + 4:
            etype = frame[hl + 2:hl + 4]
            hl += 4
        if etype not in (b"\x08\x00", b"\x86\xdd"):
            continue
        ip = frame[hl:]
        if link == 0:
            head = struct.pack("<I", 2 if etype == b"\x08\x00" else 30)
        elif link == 113:
            head = b"\x00\x00\x00\x01\x00\x06" + frame[6:12] + b"\x00\x00" + etype
        else:
            head = b""
        rec = head + ip
        out.append(struct.pack(endian + "IIII", sec, usec, len(rec), len(rec)) + rec)
    with open(dst, "wb") as f:
        f.write(b"".join(out))


def main():
    fw, root, mixed = sys.argv[1:4]
    wl = os.path.join(root, "configs", "watchlists")

    for args in ([], ["bogus"], ["run", "--bogus"], ["run", "--pcap", "a", "--iface", "b"],
                 ["run", "stray"], ["run", "--wait-clients", "x"], ["match"],
                 ["tail", "extra"], ["check", "--nope"]):
        rc, out, err = run(fw, *args)
        expect(rc == 2, "feedwatch %s: exit %d, expected 2" % (" ".join(args), rc))
        expect("usage: feedwatch" in err, "feedwatch %s: no usage on stderr" % " ".join(args))

    for args in (["--help"], ["help"], ["run", "--help"]):
        rc, out, err = run(fw, *args)
        expect(rc == 0 and "usage: feedwatch" in out, "feedwatch %s: exit %d" % (args, rc))

    rc, out, err = run(fw, "version")
    expect(rc == 0, "version exit %d" % rc)
    for word in ("feedwatch ", "DPDK ", "hyperscan ", "jemalloc "):
        expect(word in out, "version does not name %r: %r" % (word, out))

    rc, out, err = run(fw, "check", "-c", os.path.join(root, "configs", "demo.yaml"))
    expect(rc == 0 and out.startswith("ok: 2 watchlist(s)"), "check demo.yaml: %d %r %r" % (rc, out, err))

    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("name: bad\nseverity: severe\nterms: [x]\n")
        rc, out, err = run(fw, "check", bad)
        expect(rc == 1, "check bad.yaml: exit %d" % rc)
        expect(err.startswith(bad + ":2:11: "), "check bad.yaml: %r" % err)

        # every problem of every file, errors first, then warnings, then a count
        bad2 = os.path.join(tmp, "bad2.yaml")
        with open(bad2, "w") as f:
            f.write("name: bad2\nterms: [WHO]\nqueries:\n  - name: q\n"
                    "    q: 'Iran AND nuclear OR uranium'\n  - name: r\n    q: '@person/x'\n")
        rc, out, err = run(fw, "check", bad, bad2)
        lines = err.splitlines()
        expect(rc == 1 and len(lines) == 5, "check two bad files: %d %r" % (rc, err))
        expect(lines[:3] == [
            bad + ":2:11: error: unknown severity 'severe' (info, low, medium, high, critical)",
            bad2 + ":5:26: error: query 'q': ambiguous: \"Iran AND nuclear OR uranium\" reads as "
            "\"(Iran AND nuclear) OR uranium\" in some tools and \"Iran AND (nuclear OR uranium)\" "
            "in others; add parentheses",
            bad2 + ":7:9: error: unknown entity '@person/x' (this file has no entities:)"],
            "check errors: %r" % lines[:3])
        expect(len(lines) == 5 and lines[3].startswith(bad2 + ":2:9: warning: 'WHO' is all capitals")
               and lines[4] == "3 error(s), 1 warning(s)", "check warnings: %r" % lines[3:])
        warn = os.path.join(tmp, "warn.yaml")
        with open(warn, "w") as f:
            f.write("name: warn\nqueries:\n  - name: q\n    q: 'Iran w/5 nuclear'\n")
        rc, out, err = run(fw, "check", warn)
        expect(rc == 0 and "1 warning(s)" in out and ":4:14: warning: " in err and "NEAR/5" in err,
               "check with a warning only: %d %r %r" % (rc, out, err))

        rc, out, err = run(fw, "ctl", "--control", os.path.join(tmp, "none.sock"), "reload")
        expect(rc == 1 and "none.sock" in err, "ctl without feedwatch: %d %r" % (rc, err))

        cfg = os.path.join(tmp, "c.yaml")
        with open(cfg, "w") as f:
            f.write("tcp:\n  max_flows: many\n")
        rc, out, err = run(fw, "check", "-c", cfg, wl)
        expect(rc == 1 and err.startswith(cfg + ":2:14: tcp.max_flows"), "check bad config: %d %r" % (rc, err))

        doc = os.path.join(tmp, "feed.rss")
        with open(doc, "w") as f:
            f.write("<rss><channel><item><title>Lavrov in Paris</title></item>"
                    "<item><title>Nothing</title></item></channel></rss>")
        rc, out, err = run(fw, "match", "-w", wl, doc)
        expect(rc == 0, "match feed.rss: exit %d %r" % (rc, err))
        expect('"Lavrov" in title at byte 0' in out, "match: %r" % out)
        rc, out, err = run(fw, "match", "-w", wl, "--explain", doc)
        expect(rc == 0 and out.startswith('item "Lavrov in Paris"\n') and
               "  + watchlist russia-diplomacy: 1 hit(s)\n" in out and
               "      + @person/lavrov  Lavrov title@0\n" in out and "      - Moscow\n" in out and "    + alerts, rule Lavrov\n" in out and
               '"Lavrov" in title at byte 0' in out and 'item "Nothing"\n' in out,
               "match --explain: %d %r %r" % (rc, out, err))
        rc, out, err = run(fw, "match", "-w", wl, "--explain", "--json", doc)
        expect(rc == 2, "match --explain --json: %d" % rc)
        rc, out, err = run(fw, "match", "--items", doc)
        lines = [json.loads(line) for line in out.splitlines()]
        expect(rc == 0 and [x["item"]["title"] for x in lines] == ["Lavrov in Paris", "Nothing"],
               "match --items: %d %r %r" % (rc, out, err))
        expect(lines and lines[0]["feed"] == {"url": "file://" + doc, "format": "rss"},
               "match --items feed: %r" % out)
        rc, out, err = run(fw, "match", "-w", wl, "--items", doc)
        expect(rc == 2 and "drop -w" in err, "match --items -w: %d %r" % (rc, err))
        # the same capture relinked as BSD loopback, raw IP and Linux cooked gives the same
        # responses
        rc, eth_out, err = run(fw, "match", "--http", mixed)
        expect(rc == 0 and eth_out.count("\n") == 2, "match --http: %d %r" % (rc, eth_out))
        for link in (0, 101, 113):
            relinked = os.path.join(tmp, "link%d.pcap" % link)
            relink(mixed, relinked, link)
            rc, out, err = run(fw, "match", "--http", relinked)
            expect(rc == 0 and out == eth_out, "match --http on link type %d: %d %r" % (link, rc, err))
        rc, out, err = run(fw, "match", "-w", wl, os.path.join(tmp, "missing.rss"))
        expect(rc == 1 and "missing.rss" in err, "match on a missing file: %d %r" % (rc, err))

    print("%d problems" % len(failures))
    for f in failures:
        print("FAIL: " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
