"""The install path and deploy/, as an operator meets them.

(a) `meson install --destdir` of the build puts every file in its FHS place for
    the build's prefix (binary, scripts, config, example watchlist, schemas,
    units, sysusers.d, tmpfiles.d, logrotate) and the units name the installed
    binaries; (b) `systemd-analyze verify --root` passes on the installed units
    (and `security --offline` stays below an exposure of 3.0); (c)
    deploy/feedwatch-hugepages and deploy/feedwatch-devbind print their commands
    with --dry-run, refuse bad arguments with exit 2, and devbind refuses an
    interface that is up unless --force; (d) `logrotate -d` parses the logrotate
    file; (e) scripts/package builds the .deb (release build cached in
    BUILD/deploy-deb), `dpkg --root` installs it into a test root (user, dirs,
    unit enabled, not started), the installed binary runs on the demo capture
    under a fake NOTIFY_SOCKET (READY=1, the expected alert), and `dpkg --purge`
    takes it out again.

usage: deploy.py BUILD_DIR SOURCE_DIR DEMO_PCAP
"""
import glob
import json
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

fails = []


def check(cond, msg):
    if not cond:
        fails.append(msg)
    return cond


def sh(cmd, **kw):
    kw.setdefault("timeout", 300)
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def options(build):
    r = sh(["meson", "introspect", "--buildoptions", build])
    return {o["name"]: o["value"] for o in json.loads(r.stdout)}


def expected_files(build):
    """{installed path: must be executable} for the build's prefix."""
    o = options(build)
    prefix = o["prefix"]
    j = lambda d, *p: os.path.join(prefix, d, *p)  # noqa: E731 (absolute d wins)
    unitdir = o.get("systemdunitdir") or (
        "/lib/systemd/system" if prefix == "/usr" else os.path.join(prefix, "lib/systemd/system"))
    etc = j(o["sysconfdir"], "feedwatch")
    files = {j(o["bindir"], "feedwatch"): True,
             j(o["sbindir"], "feedwatch-hugepages"): True,
             j(o["sbindir"], "feedwatch-devbind"): True,
             os.path.join(etc, "feedwatch.yaml"): False,
             os.path.join(etc, "watchlists/README.md"): False,
             os.path.join(etc, "watchlists/russia-diplomacy.yaml.example"): False,
             j(o["datadir"], "feedwatch/alert.schema.json"): False,
             j(o["datadir"], "feedwatch/alert-ecs.schema.json"): False,
             os.path.join(prefix, "lib/sysusers.d/feedwatch.conf"): False,
             os.path.join(prefix, "lib/tmpfiles.d/feedwatch.conf"): False,
             j(o["sysconfdir"], "logrotate.d/feedwatch"): False}
    for u in ("feedwatch.service", "feedwatch-hugepages.service", "feedwatch-archive.service"):
        files[os.path.join(unitdir, u)] = False
    return files, unitdir


def part_install(build, dest):
    r = sh(["meson", "install", "-C", build, "--no-rebuild", "--destdir", dest])
    if not check(r.returncode == 0, "meson install failed: %s" % r.stderr[-2000:]):
        return None
    files, unitdir = expected_files(build)
    for path, exe in files.items():
        p = dest + path
        if check(os.path.isfile(p), "not installed: %s" % path) and exe:
            check(os.stat(p).st_mode & stat.S_IXUSR, "not executable: %s" % path)
    # every command a unit runs is an installed file
    for u in glob.glob(dest + unitdir + "/*.service"):
        for line in open(u):
            if line.startswith(("ExecStart=", "ExecStartPre=")):
                cmd = line.split("=", 1)[1].split()[0]
                check(os.path.isfile(dest + cmd), "%s runs %s, not installed" % (
                    os.path.basename(u), cmd))
    print("(a) meson install: %d files in place under prefix %s" % (len(files), options(build)["prefix"]))
    return unitdir


def part_verify(dest, unitdir):
    """systemd-analyze verify in the staged root: it needs what the units name
    (/bin/kill) and the targets they order against, taken from the host."""
    os.makedirs(dest + "/bin", exist_ok=True)
    shutil.copy2("/bin/kill", dest + "/bin/kill")
    host_units = "/lib/systemd/system"
    os.makedirs(dest + host_units, exist_ok=True)
    for pat in ("*.target", "*.slice", "*.socket", "*.mount"):
        for f in glob.glob(os.path.join(host_units, pat)):
            if not os.path.exists(dest + f):
                shutil.copy2(f, dest + f, follow_symlinks=True)
    units = ["feedwatch.service", "feedwatch-hugepages.service", "feedwatch-archive.service"]
    r = sh(["systemd-analyze", "verify", "--root=" + dest] + units)
    verified = check(r.returncode == 0 and r.stderr.strip() == "",
                     "systemd-analyze verify: rc %d: %s" % (r.returncode, r.stderr))
    r = sh(["systemd-analyze", "security", "--offline=yes", "--root=" + dest,
            "feedwatch.service"])
    last = (r.stdout.strip().splitlines() or ["?"])[-1]
    try:
        exposure = float(last.split("feedwatch.service: ")[1].split()[0])
    except (IndexError, ValueError):
        exposure = 99.0
    check(exposure < 3.0, "systemd-analyze security: %s (want < 3.0)" % last)
    print("(b) systemd-analyze verify: %s; security: %s" % ("ok" if verified else "FAILED",
                                                         last.lstrip("→ ")))


def part_scripts(src, tmp):
    hp = os.path.join(src, "deploy/feedwatch-hugepages")
    db = os.path.join(src, "deploy/feedwatch-devbind")
    r = sh([hp, "--dry-run"])
    check(r.returncode == 0 and
          "+ dpdk-hugepages.py --pagesize 2M --setup 1G --directory /dev/hugepages" in r.stdout
          and "vm.nr_hugepages = 512" in r.stdout,
          "feedwatch-hugepages --dry-run: rc %d\n%s%s" % (r.returncode, r.stdout, r.stderr))
    r = sh([hp, "--dry-run", "--pagesize", "1G", "--size", "4G", "--node", "1"])
    check(r.returncode == 0 and "--pagesize 1G --setup 4G" in r.stdout and "--node 1" in r.stdout
          and "hugepagesz=1G hugepages=4" in r.stdout,
          "feedwatch-hugepages --dry-run 1G: %s" % r.stdout)
    r = sh([db, "--dry-run", "0000:00:00.0"])
    check(r.returncode == 0 and "+ modprobe vfio-pci" in r.stdout and
          "+ dpdk-devbind.py --bind=vfio-pci 0000:00:00.0" in r.stdout and
          "+ chgrp feedwatch /dev/vfio/" in r.stdout,
          "feedwatch-devbind --dry-run: rc %d\n%s%s" % (r.returncode, r.stdout, r.stderr))
    for cmd in ([hp, "--bogus"], [hp, "--size", "3X", "--dry-run"], [hp, "--size"],
                [hp, "--size", "3M", "--dry-run"], [hp, "--pagesize", "4K", "--dry-run"],
                [db, "--dry-run"], [db, "--dry-run", "zz:00"], [db, "--bogus", "00:01.0"],
                [db, "--status", "00:01.0"]):
        r = sh(cmd)
        check(r.returncode == 2 and "usage:" in r.stderr,
              "%s: exit %d, expected 2 with the usage" % (" ".join(cmd[1:]), r.returncode))
    # an interface that is up is refused unless --force (a fake sysfs)
    sysfs = os.path.join(tmp, "sys")
    net = os.path.join(sysfs, "bus/pci/devices/0000:01:00.0/net/ens9")
    os.makedirs(net)
    open(os.path.join(net, "flags"), "w").write("0x1003\n")
    env = dict(os.environ, FEEDWATCH_SYSFS=sysfs)
    r = sh([db, "--dry-run", "01:00.0"], env=env)
    check(r.returncode == 1 and "ens9 is up" in r.stderr and "dpdk-devbind.py" not in r.stdout,
          "devbind of an up interface: exit %d: %s" % (r.returncode, r.stderr))
    r = sh([db, "--dry-run", "--force", "01:00.0"], env=env)
    check(r.returncode == 0 and "--bind=vfio-pci --force 0000:01:00.0" in r.stdout,
          "devbind --force of an up interface: exit %d: %s" % (r.returncode, r.stdout))
    open(os.path.join(net, "flags"), "w").write("0x1002\n")
    r = sh([db, "--dry-run", "01:00.0"], env=env)
    check(r.returncode == 0, "devbind of a down interface: exit %d: %s" % (r.returncode, r.stderr))
    print("(c) feedwatch-hugepages, feedwatch-devbind: dry runs, bad arguments, refusal")


def part_logrotate(src, tmp):
    conf = open(os.path.join(src, "deploy/feedwatch.logrotate")).read()
    check("/var/lib/feedwatch" not in "\n".join(
        l for l in conf.splitlines() if not l.lstrip().startswith("#")),
        "logrotate touches the journal (/var/lib/feedwatch)")
    try:
        pwd.getpwnam("feedwatch")
    except KeyError:
        # `su` needs the user to exist; this host has none
        conf = conf.replace("su feedwatch feedwatch", "su root root")
    path = os.path.join(tmp, "logrotate.conf")
    open(path, "w").write(conf)
    r = sh(["logrotate", "-d", "-s", os.path.join(tmp, "lr.state"), path])
    check(r.returncode == 0 and "error" not in (r.stdout + r.stderr).lower() and
          "rotating pattern: /var/log/feedwatch/alerts.ndjson" in r.stdout + r.stderr,
          "logrotate -d: rc %d\n%s%s" % (r.returncode, r.stdout, r.stderr))
    print("(d) logrotate -d: parses")


def run_installed(root, pcap):
    """The installed binary on the demo capture, config under the test root."""
    wl = os.path.join(root, "etc/feedwatch/watchlists")
    shutil.copy(os.path.join(wl, "russia-diplomacy.yaml.example"),
                os.path.join(wl, "russia-diplomacy.yaml"))
    run = os.path.join(root, "run/feedwatch")
    journal = os.path.join(root, "var/lib/feedwatch/journal")
    cfg = os.path.join(root, "etc/feedwatch/test.yaml")
    open(cfg, "w").write(
        "watchlists:\n  dir: %s\n  cache_dir: %s\n  watch: false\n"
        "control:\n  socket: %s/control.sock\n"
        "output:\n  socket: %s/alerts.sock\n"
        "journal:\n  dir: %s\n"
        "dpdk:\n  mbufs: 4095\n  rx_desc: 512\n"
        % (wl, os.path.join(root, "var/cache/feedwatch"), run, run, journal))
    fw = os.path.join(root, "usr/bin/feedwatch")
    r = sh([fw, "check", "-c", cfg])
    check(r.returncode == 0, "installed feedwatch check: %s%s" % (r.stdout, r.stderr))
    notify = os.path.join(run, "notify")
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(notify)
    ns.settimeout(0.2)
    msgs = []
    env = dict(os.environ, NOTIFY_SOCKET=notify)
    proc = subprocess.Popen([fw, "run", "-c", cfg, "--pcap", pcap, "--wait-clients", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    err = []
    t = threading.Thread(target=lambda: err.append(proc.stderr.read()))
    t.start()
    data = b""
    try:
        end = time.time() + 120
        s = None
        while time.time() < end and proc.poll() is None and s is None:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(os.path.join(run, "alerts.sock"))
            except OSError:
                s.close()
                s = None
                time.sleep(0.05)
        if check(s is not None, "could not connect to the installed feedwatch's alert socket"):
            s.settimeout(120)
            while True:
                chunk = s.recv(1 << 16)
                if not chunk:
                    break
                data += chunk
            s.close()
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        t.join()
    while True:
        try:
            msgs.append(ns.recv(4096).decode())
        except (socket.timeout, BlockingIOError):
            break
    ns.close()
    check(proc.returncode == 0, "installed feedwatch run exited %s: %s" % (
        proc.returncode, "".join(err)[-2000:]))
    check(any(m.startswith("READY=1") for m in msgs), "no READY=1 from the installed binary: %s"
          % msgs)
    alerts = [json.loads(l) for l in data.decode().splitlines() if l.startswith('{"seq"')]
    check([a["watchlist"] for a in alerts] == ["russia-diplomacy"],
          "installed binary's alerts: %s" % [a.get("watchlist") for a in alerts])
    check(len(glob.glob(os.path.join(journal, "alerts-*.ndjson"))) == 1,
          "no journal segment under the test root")
    return len(alerts)


def part_package(build, src, pcap, tmp):
    if os.geteuid() != 0:
        print("(e) package: skipped (dpkg --root needs root)")
        return
    debbuild = os.path.join(build, "deploy-deb")
    out = os.path.join(tmp, "out")
    t0 = time.time()
    r = sh([os.path.join(src, "scripts/package"), "--build-dir", debbuild, "--out", out],
           timeout=900)
    if not check(r.returncode == 0, "scripts/package: rc %d\n%s" % (
            r.returncode, (r.stdout + r.stderr)[-3000:])):
        return
    deb = r.stdout.strip().splitlines()[-1]
    check(os.path.dirname(deb) == out and deb.endswith(".deb") and os.path.isfile(deb),
          "scripts/package printed %r, not the .deb in %s" % (deb, out))
    info = sh(["dpkg-deb", "-f", deb]).stdout
    for dep in ("librte-eal23", "libvectorscan5", "libjemalloc2", "libyaml-0-2", "libpcap0.8",
                "libsystemd0", "zlib1g", "libbrotli1", "libnats3.4", "librte-mempool-ring23",
                "librte-net-pcap23", "librte-net-af-packet23"):
        check(dep in info, "Depends lacks %s:\n%s" % (dep, info))
    conffiles = sh(["dpkg-deb", "-I", deb, "conffiles"]).stdout.split()
    check("/etc/feedwatch/feedwatch.yaml" in conffiles and
          "/etc/logrotate.d/feedwatch" in conffiles, "conffiles: %s" % conffiles)
    built = time.time() - t0

    root = os.path.join(tmp, "root")
    admin = os.path.join(root, "var/lib/dpkg")
    for d in ("info", "updates", "triggers"):
        os.makedirs(os.path.join(admin, d))
    open(os.path.join(admin, "status"), "w").close()
    dpkg = ["dpkg", "--root=" + root, "--force-depends", "--force-script-chrootless"]
    r = sh(dpkg + ["-i", deb])
    if not check(r.returncode == 0, "dpkg -i: %s%s" % (r.stdout, r.stderr[-3000:])):
        return
    passwd = open(os.path.join(root, "etc/passwd")).read()
    uid = [int(l.split(":")[2]) for l in passwd.splitlines() if l.startswith("feedwatch:")]
    check(len(uid) == 1, "postinst made no feedwatch user: %s" % passwd)
    for d in ("run/feedwatch", "var/lib/feedwatch/journal", "var/cache/feedwatch"):
        p = os.path.join(root, d)
        check(os.path.isdir(p) and [os.stat(p).st_uid] == uid[:1] and
              stat.S_IMODE(os.stat(p).st_mode) == 0o750, "postinst: %s not 0750 feedwatch" % d)
    check(os.path.islink(os.path.join(
        root, "etc/systemd/system/multi-user.target.wants/feedwatch.service")),
        "postinst did not enable feedwatch.service")
    check(not os.path.exists(os.path.join(
        root, "etc/systemd/system/multi-user.target.wants/feedwatch-archive.service")),
        "postinst enabled the optional archive service")
    n = run_installed(root, pcap)
    r = sh(dpkg + ["--purge", "feedwatch"])
    check(r.returncode == 0, "dpkg --purge: %s" % r.stderr[-2000:])
    for f in ("usr/bin/feedwatch", "etc/feedwatch/feedwatch.yaml",
              "etc/systemd/system/multi-user.target.wants/feedwatch.service"):
        check(not os.path.lexists(os.path.join(root, f)), "left after purge: /%s" % f)
    check(os.path.isdir(os.path.join(root, "var/lib/feedwatch/journal")),
          "purge removed the alert journal")
    print("(e) scripts/package: %s (%.0f s); dpkg --root install, READY=1 and %d alert from the "
          "installed binary, purge" % (os.path.basename(deb), built, n))


def main():
    build, src, pcap = (os.path.abspath(a) for a in sys.argv[1:4])
    with tempfile.TemporaryDirectory(prefix="fwdeploy-") as tmp:
        dest = os.path.join(tmp, "dest")
        unitdir = part_install(build, dest)
        if unitdir is not None:
            part_verify(dest, unitdir)
        part_scripts(src, tmp)
        part_logrotate(src, tmp)
        part_package(build, src, pcap, tmp)
    for f in fails:
        print("FAIL: " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
