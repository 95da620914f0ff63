#!/usr/bin/env python3
"""One cell of the accuracy matrix: feedwatch-gen with fixed knobs and seed,
then scripts/accuracy on what it wrote. Passes only at precision and recall
1.0 (items the truth file marks undetectable excepted).

usage: accuracy_case.py FEEDWATCH FEEDWATCH_GEN SOURCE_ROOT NAME [--workers N] [GEN ARGS...]

--workers N runs feedwatch with N workers fed by one RX lcore (dpdk.workers).
"""

import os
import subprocess
import sys
import tempfile


def main():
    fw, gen, root, name = sys.argv[1:5]
    args = sys.argv[5:]
    run_args = []
    if args[:1] == ["--workers"]:
        run_args, args = args[:2], args[2:]
    with tempfile.TemporaryDirectory(prefix="fwacc-%s-" % name) as tmp:
        cap = os.path.join(tmp, "%s.pcap" % name)
        g = subprocess.run([gen, "-o", cap] + args, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=300)
        sys.stdout.write(g.stderr)
        if g.returncode != 0:
            print("feedwatch-gen failed (exit %d)" % g.returncode)
            sys.exit(1)
        a = subprocess.run([os.path.join(root, "scripts", "accuracy"), "--feedwatch", fw] +
                           run_args + [cap, cap + ".truth.ndjson"], timeout=600)
        sys.exit(a.returncode)


if __name__ == "__main__":
    main()
