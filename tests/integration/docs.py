"""The analysts' guide, configs/watchlists/README.md, checked by the real binary.

Every ```yaml block must pass `feedwatch check` (unless an `error:` line
follows it); in the ```text block after it, each `alerts: TEXT` must alert
when an RSS item carries TEXT, each `no alert: TEXT` must not, `error: L:C:
MSG` must be reported by check at that line and column, and `warning: L:C:
MSG` likewise as a warning.

usage: docs.py FEEDWATCH README
"""
import html
import os
import re
import subprocess
import sys
import tempfile


def blocks(text):
    """(yaml, [expectation lines]) pairs in order."""
    out = []
    for m in re.finditer(r"```(\w+)\n(.*?)```", text, re.S):
        lang, body = m.group(1), m.group(2)
        if lang == "yaml":
            out.append([body, []])
        elif lang == "text" and out:
            out[-1][1].extend(l for l in body.splitlines() if l.strip())
    return out


def rss(text):
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            "<title>t</title><item><title>item</title><description>%s</description>"
            "<guid>g</guid></item></channel></rss>" % html.escape(text))


def main():
    fw, readme = sys.argv[1], sys.argv[2]
    failures = 0
    checked = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, (yml, expects) in enumerate(blocks(open(readme, encoding="utf-8").read())):
            path = os.path.join(tmp, "example%d.yaml" % i)
            open(path, "w", encoding="utf-8").write(yml)
            chk = subprocess.run([fw, "check", path], capture_output=True, text=True)
            errors = [e for e in expects if e.startswith("error:")]
            if not errors and chk.returncode != 0:
                print("FAIL example %d does not pass check:\n%s" % (i, chk.stderr))
                failures += 1
                continue
            if errors and chk.returncode == 0:
                print("FAIL example %d passes check but should not" % i)
                failures += 1
            for e in expects:
                kind, rest = e.split(":", 1)
                rest = rest.strip()
                checked += 1
                if kind in ("error", "warning"):
                    lc, msg = rest.split(": ", 1)
                    want = "%s:%s: %s: " % (path, lc, kind)
                    ok = any(l.startswith(want) and msg in l for l in chk.stderr.splitlines())
                    if not ok:
                        print("FAIL example %d: want %s...%s in:\n%s" % (i, want, msg, chk.stderr))
                        failures += 1
                    continue
                doc = os.path.join(tmp, "item%d.xml" % checked)
                open(doc, "w", encoding="utf-8").write(rss(rest))
                m = subprocess.run([fw, "match", "-w", path, "--json", doc],
                                   capture_output=True, text=True)
                n = len([l for l in m.stdout.splitlines() if l.strip()])
                want = 1 if kind == "alerts" else 0
                if m.returncode != 0 or n != want:
                    print("FAIL example %d: %r gave %d alert(s), want %d\n%s%s"
                          % (i, rest, n, want, m.stdout, m.stderr))
                    failures += 1
    print("%d examples, %d expectations, %d failure(s)" % (len(blocks(open(readme).read())),
                                                           checked, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
