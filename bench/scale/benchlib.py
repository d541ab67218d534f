"""Helpers shared by bench/scale/* and bench/soak/run (not a test module).

- a private snapshot of the built plugin and tool (other developers rebuild the
  tree while a benchmark runs: every figure is taken from one build);
- /proc readings of a process (RSS, peak RSS, CPU seconds, open descriptors);
- /usr/bin/time runs;
- collectd through tests/integration/harness.py (read, never changed).
"""
import glob
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

import harness  # noqa: E402  (Collectd, csv reading)
from netns import Netns  # noqa: E402,F401

CLK_TCK = os.sysconf("SC_CLK_TCK")


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def snapshot_build(workdir):
    """Copies the built plugin and tool into workdir/bin; points the harness
    (ITS_PLUGIN) at the copy. Returns (tool, plugin, description)."""
    so = os.path.join(REPO, ".libs", "iptraf_services.so")
    tool = os.path.join(REPO, "iptraf-services-count")
    for p in (so, tool):
        if not os.path.exists(p):
            sys.exit("%s is missing: run `make` first" % p)
    bindir = os.path.join(workdir, "bin")
    os.makedirs(bindir, exist_ok=True)
    so_copy = os.path.join(bindir, "iptraf_services.so")
    tool_copy = os.path.join(bindir, "iptraf-services-count")
    shutil.copy(so, so_copy)
    shutil.copy(tool, tool_copy)
    os.environ["ITS_PLUGIN"] = so_copy
    head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "src"],
                           capture_output=True, text=True).stdout.strip()
    desc = ("git %s%s; plugin %s (sha256 %s, built %s); tool sha256 %s"
            % (head, " + uncommitted src changes" if dirty else "", so, sha(so_copy),
               time.strftime("%Y-%m-%d %H:%M", time.localtime(os.path.getmtime(so))),
               sha(tool_copy)))
    return tool_copy, so_copy, desc


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // 1024
    load = open("/proc/loadavg").read().split()[:3]
    return ("nproc %d, CPU %s, %d MiB RAM, kernel %s, %s; load average %s at %s"
            % (os.cpu_count(), cpu, mem, platform.release(),
               open("/etc/debian_version").read().strip() and
               "Debian " + open("/etc/debian_version").read().strip(),
               " ".join(load), time.strftime("%Y-%m-%d %H:%M:%S %Z")))


def proc_status(pid):
    """{'VmRSS': kB, 'VmHWM': kB, 'Threads': n, 'fds': n, 'cpu': seconds}
    of a live process (children not included)."""
    st = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "VmSize", "Threads"):
                    st[k] = int(v.split()[0])
        st["fds"] = len(os.listdir("/proc/%d/fd" % pid))
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        st["cpu"] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (FileNotFoundError, ProcessLookupError):
        pass
    return st


def fd_targets(pid):
    out = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            out.append(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
        except OSError:
            pass
    return sorted(out)


def timed(argv, stdout_path=None, env=None):
    """Runs argv under /usr/bin/time. Returns dict wall, user, sys, maxrss_kb, rc
    (stdout to stdout_path, or discarded)."""
    tf = "/tmp/its-bench-time.%d" % os.getpid()
    out = open(stdout_path, "w") if stdout_path else subprocess.DEVNULL
    t = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-o", tf, "-f", "%e %U %S %M"] + list(argv),
                       stdout=out, stderr=subprocess.PIPE, text=True, env=env)
    wall = time.monotonic() - t
    if stdout_path:
        out.close()
    e, u, s, m = open(tf).read().split()[-4:]
    os.unlink(tf)
    return dict(wall=wall, user=float(u), sys=float(s), cpu=float(u) + float(s),
                maxrss_kb=int(m), rc=r.returncode, stderr=r.stderr)


def warm(path):
    """Reads a file once so that every measurement starts from the page cache."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def mib(kb):
    return "%.1f MiB" % (kb / 1024.0)


def read_table(path):
    with open(path) as f:
        text = f.read()
    lines = text.splitlines()
    assert lines[0] == "proto\tport\tdir\tpackets\tbytes", lines[:1]
    res = {}
    for line in lines[1:]:
        proto, port, d, p, b = line.split("\t")
        v = res.setdefault((proto, int(port)), [0, 0, 0, 0])
        k = 0 if d == "in" else 2
        v[k], v[k + 1] = int(p), int(b)
    return {k: tuple(v) for k, v in res.items()}


def csv_last_values(csv_dir, host, instance):
    """{(proto, port): (in_p, in_b, out_p, out_b, time)} from the last
    row of every if_octets / if_packets csv file of one plugin instance, plus
    {'other-name': (rx, tx, time)} for the series that are not ports."""
    d = os.path.join(csv_dir, host, "iptraf_services-%s" % instance)
    rows = {}
    for path in glob.glob(os.path.join(d, "*")):
        base = os.path.basename(path)[:-11]  # strip -YYYY-MM-DD
        last = None
        with open(path, "rb") as f:
            try:
                f.seek(-256, os.SEEK_END)
            except OSError:
                f.seek(0)
            for line in f.read().decode().splitlines():
                if line and not line.startswith("epoch"):
                    last = line
        if last is None:
            continue
        parts = last.split(",")
        t = float(parts[0])
        vals = tuple(int(float(x)) for x in parts[1:])
        prev = rows.get(base)
        if prev is None or prev[-1] <= t:  # several day files: keep the newest
            rows[base] = vals + (t,)
    ports, other = {}, {}
    for base, v in rows.items():
        type_, _, ti = base.partition("-")
        proto, _, port = ti.partition("-")
        if type_ in ("if_octets", "if_packets") and proto in ("tcp", "udp") and port.isdigit():
            e = ports.setdefault((proto, int(port)), [None, None, None, None, None])
            if type_ == "if_packets":
                e[0], e[2] = v[0], v[1]
            else:
                e[1], e[3] = v[0], v[1]
            # the older of the two files' times: a series is only as fresh as
            # both its if_packets and its if_octets rows
            e[4] = v[2] if e[4] is None else min(e[4], v[2])
        else:
            other[base] = v
    return {k: tuple(v) for k, v in ports.items()}, other


def compare(got, want, what, limit=5):
    """Exact comparison of {(proto, port): (in_p, in_b, out_p, out_b)} tables.
    Returns (ok, message)."""
    bad = []
    for k in sorted(set(got) | set(want)):
        g = tuple(got.get(k, (0, 0, 0, 0)))[:4]
        w = tuple(want.get(k, (0, 0, 0, 0)))[:4]
        if g != w:
            bad.append("%s/%s: got %s, expected %s" % (k[0], k[1], g, w))
    if bad:
        return False, "%s: %d of %d series differ, e.g. %s" % (
            what, len(bad), len(set(got) | set(want)), "; ".join(bad[:limit]))
    return True, "%s: all %d series exact" % (what, len(want))


def collectd_pid(cd):
    """The pid of collectd itself (`ip netns exec` execs it, so it is Popen's pid;
    checked through /proc, with a look at the children otherwise)."""
    pid = cd.proc.pid
    for _ in range(100):
        try:
            if open("/proc/%d/comm" % pid).read().strip() == "collectd":
                return pid
            for child in open("/proc/%d/task/%d/children" % (pid, pid)).read().split():
                if open("/proc/%s/comm" % child).read().strip() == "collectd":
                    return int(child)
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("collectd's pid not found")
