#!/usr/bin/python3
"""Run the real iptraf-ng (Debian 1.2.1) TCP/UDP service monitor for integration tests.

Standard library only.  Needs root, /usr/sbin/iptraf-ng and iproute2 (``ip netns``).

iptraf-ng runs as ``iptraf-ng -s lo -B`` inside a private network namespace
``itsvc-<pid>`` (only the traffic the test generates is seen) with a private
configuration directory (IPTRAF_WORK_PATH) and log directory (IPTRAF_LOG_PATH).

API
---
available() -> (bool, str)
    Whether iptraf-ng can run here (binary present, root, 64-bit, netns creatable);
    the string gives the reason when it cannot.

class IptrafNg(workdir, interval=3, logfile=None, env=None, extra_ports=(8080,))
    Context manager (``with IptrafNg(tmpdir) as ipt: ...``; __enter__ calls start(),
    __exit__ calls stop(), which always deletes the namespace, also on errors).
    workdir   directory for everything; created if missing.  iptraf.cfg and ports.dat
              go to <workdir>/work, the log to <workdir>/log.
    interval  log interval in seconds (written into iptraf.cfg).  iptraf-ng 1.2.1
              writes a block every interval + 1 seconds (first one after ~interval s).
    logfile   None: iptraf-ng's default name <workdir>/log/tcp_udp_services-lo.log;
              a bare name: that name inside <workdir>/log (passed with -L);
              an absolute path: that file (passed with -L).
    env       extra environment variables for iptraf-ng (default adds LC_ALL=C so
              rates use a decimal point; pass {"LC_ALL": "de_DE.UTF-8"} to change).
    extra_ports  tracked ports besides 0-1023 (written to ports.dat), default (8080,).
  Attributes: log_path, netns, pid (daemon pid), workdir, interval, returncode
  (exit code or -signal of the daemon once reaped, e.g. -8 = SIGFPE; start() makes
  this process a child subreaper while launching so the daemon is its child).
  start()                 create netns, write config, launch iptraf-ng, wait for the
                          "started" line of this run.
  run_in_ns(argv, **kw)   subprocess.run(["ip","netns","exec",ns]+argv, check=True by default)
  popen_in_ns(argv, **kw) subprocess.Popen likewise.
  block_count()           complete blocks (ending with a "Running time:" line) written
                          by this run (earlier content of an appended log is ignored).
  wait_blocks(n, timeout=None) wait until block_count() >= n; RuntimeError if iptraf-ng
                          died (e.g. its SIGFPE), TimeoutError on timeout.  Returns count.
  wait_next_block(timeout=None) wait for one more block than there is now.
  log_text()              this run's part of the log.
  last_block()            parse_last_block(self.log_path).
  stop(timeout=10)        SIGUSR2 (final block + "stopped" line), wait for exit, SIGKILL
                          if needed, kill what is left in the netns, delete the netns.
                          Returns True if the "stopped" line was written.  Idempotent.
                          It first waits until >= 1.5 s have passed since the last
                          generate_traffic() (see SIGFPE below).

generate_traffic(runner, tcp_bytes=10000, tcp_reply=1000, udp_count=3, udp_size=100,
                 udp6_port=9, sync=True, tcp_port=8080) -> dict
    Inside the namespace: a TCP server on 127.0.0.1:8080 receives tcp_bytes from a
    client and answers tcp_reply bytes; a UDP echo server on 127.0.0.1:7 echoes
    udp_count datagrams of udp_size bytes; an echo server on [::1]:udp6_port does the
    same over IPv6 (udp6_port=7 makes it share the UDP/7 entry with IPv4).
    With sync=True it first waits for the next log block, so traffic happens right
    after a block.  Returns {"udp": {("udp", port): (in_pkts, in_bytes, out_pkts,
    out_bytes)}, exact values as iptraf-ng on lo reports them (each packet counted
    twice), "tcp": {"port": 8080, "sent": tcp_bytes, "received": tcp_reply}}.  For TCP
    only lower bounds are exact: in_bytes >= 2*tcp_bytes, out_bytes >= 2*tcp_reply.

parse_last_block(path) -> dict
    {("tcp", 8080): (in_packets, in_bytes, out_packets, out_bytes), ...} from the last
    complete block of an iptraf-ng service-monitor log (port is an int, or the
    service-name string if iptraf-ng printed one).  ValueError if there is no
    complete block.  parse_blocks(path) -> list of such dicts, oldest first.

Facts (iptraf-ng 1.2.1, amd64)
------------------------------
iptraf.cfg is a raw ``struct OPTIONS`` (40 bytes): offset 0 an unsigned int of bit
fields (bit0 color, 1 logging, 2 revlook, 3 servnames, 4 promisc, 5 actmode,
6 mac, 7 v6inv4asv6), 4 bytes padding, then time_t (int64) timeout [8],
logspan [16] (the log interval, in SECONDS; menu default 3600), updrate [24],
closedint [32].  ports.dat holds 8-byte records: u16 min, u16 max, u16 max, u16 0.
-B forces logging on.  The log path is cut to 79 characters by iptraf-ng (a
short symlink in /tmp is used when needed).  If a port entry is < 1 s old when a
block is written, iptraf-ng dies with SIGFPE (division by zero): generate traffic
right after a block, and do not stop within 1 s of traffic.
"""

import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

__all__ = ["IptrafNg", "available", "generate_traffic", "parse_last_block",
           "parse_blocks", "IPTRAF_NG"]

IPTRAF_NG = "/usr/sbin/iptraf-ng"
IP = shutil.which("ip") or "/usr/sbin/ip"
PYTHON = "/usr/bin/python3"

STARTED = "******** TCP/UDP service monitor started ********"
STOPPED = "******** TCP/UDP service monitor stopped ********"
MAX_LOGPATH = 79          # iptraf-ng keeps the log file name in char[80]

_instances = 0


def _ip(*args, check=True):
    return subprocess.run([IP] + list(args), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=check)


def _netns_exists(name):
    r = _ip("netns", "list", check=False)
    return any(line.split()[0] == name for line in r.stdout.splitlines() if line.split())


def _netns_pids(name):
    r = _ip("netns", "pids", name, check=False)
    return [int(x) for x in r.stdout.split() if x.isdigit()]


def _alive(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    state = stat[stat.rfind(")") + 2:].split()[0]
    if state in ("Z", "X"):
        try:                        # reap it if it happens to be our child
            os.waitpid(pid, os.WNOHANG)
        except OSError:
            pass
        return False
    return True


def _comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def _set_subreaper(on):
    """prctl(PR_SET_CHILD_SUBREAPER): the daemonized iptraf-ng then becomes our
    child, so we can reap it and learn how it ended.  Returns the previous value
    (None if prctl is not usable)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        old = ctypes.c_int(0)
        if libc.prctl(37, ctypes.byref(old), 0, 0, 0) != 0:     # PR_GET_CHILD_SUBREAPER
            return None
        if libc.prctl(36, int(bool(on)), 0, 0, 0) != 0:        # PR_SET_CHILD_SUBREAPER
            return None
        return old.value
    except Exception:
        return None


def available():
    """Return (True, "ok") if iptraf-ng can be run here, else (False, reason)."""
    if not sys.platform.startswith("linux"):
        return False, "not Linux"
    if not os.access(IPTRAF_NG, os.X_OK):
        return False, "%s not installed (apt-get install iptraf-ng)" % IPTRAF_NG
    if not os.path.exists(IP) or not os.access(IP, os.X_OK):
        return False, "ip (iproute2) not installed"
    if os.geteuid() != 0:
        return False, "iptraf-ng and ip netns need root"
    if struct.calcsize("l") != 8:
        return False, "iptraf.cfg layout is only known for 64-bit builds"
    probe = "itsvc-probe-%d" % os.getpid()
    r = _ip("netns", "add", probe, check=False)
    if r.returncode != 0:
        return False, "cannot create a network namespace: %s" % r.stderr.strip()
    try:
        r = _ip("-n", probe, "link", "set", "lo", "up", check=False)
        if r.returncode != 0:
            return False, "cannot set lo up in a namespace: %s" % r.stderr.strip()
    finally:
        _ip("netns", "del", probe, check=False)
    return True, "ok"


def write_config(workpath, interval, servnames=False, extra_ports=(8080,)):
    """Write iptraf.cfg (struct OPTIONS) and ports.dat into workpath."""
    bits = 0
    # color(bit0)=0, logging(bit1)=1 (forced by -B anyway), revlook(bit2)=0,
    # servnames(bit3), promisc(bit4)=0, actmode(bit5)=0 (kbits), mac(bit6)=0,
    # v6inv4asv6(bit7)=1 (the default)
    bits |= 1 << 1
    if servnames:
        bits |= 1 << 3
    bits |= 1 << 7
    cfg = struct.pack("<I4xqqqq", bits, 15, int(interval), 0, 0)
    assert len(cfg) == 40
    with open(os.path.join(workpath, "iptraf.cfg"), "wb") as f:
        f.write(cfg)
    with open(os.path.join(workpath, "ports.dat"), "wb") as f:
        for p in extra_ports:
            if isinstance(p, tuple):
                lo, hi = p
            else:
                lo = hi = p
            # saveportlist() writes 4 bytes from &port_min and 4 from &port_max
            f.write(struct.pack("<HHHH", lo, hi, hi, 0))


class IptrafNg(object):
    """iptraf-ng service monitor on lo in a private network namespace."""

    def __init__(self, workdir, interval=3, logfile=None, env=None,
                 extra_ports=(8080,), servnames=False):
        global _instances
        self.servnames = bool(servnames)
        self.workdir = os.path.abspath(workdir)
        self.interval = int(interval)
        if not 1 <= self.interval:
            raise ValueError("interval must be >= 1 second")
        self.workpath = os.path.join(self.workdir, "work")
        self.logdir = os.path.join(self.workdir, "log")
        if logfile is None:
            self._L = None
            self.log_path = os.path.join(self.logdir, "tcp_udp_services-lo.log")
        elif "/" in logfile:
            self.log_path = os.path.abspath(logfile)
            self._L = self.log_path
        else:
            self.log_path = os.path.join(self.logdir, logfile)
            self._L = logfile
        self.extra_env = {"LC_ALL": "C"}
        self.extra_env.update(env or {})
        self.extra_ports = tuple(extra_ports)
        name = "itsvc-%d" % os.getpid()
        if _instances:
            name += "-%d" % _instances
        _instances += 1
        self.netns = name
        self.pid = None
        self.returncode = None      # exit code, or -signal (e.g. -8 for SIGFPE), once reaped
        self._child = False
        self.last_traffic = None
        self._offset = 0
        self._symlink = None
        self._ns_created = False
        self._stopped = False

    # -- context manager -------------------------------------------------
    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- helpers ---------------------------------------------------------
    def _ns_argv(self, argv):
        return [IP, "netns", "exec", self.netns] + list(argv)

    def run_in_ns(self, argv, **kw):
        """subprocess.run(argv) inside the namespace (check=True unless given)."""
        kw.setdefault("check", True)
        return subprocess.run(self._ns_argv(argv), **kw)

    def popen_in_ns(self, argv, **kw):
        """subprocess.Popen(argv) inside the namespace."""
        return subprocess.Popen(self._ns_argv(argv), **kw)

    def _read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._offset)
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_text(self):
        """The part of the log written by this run."""
        return self._read_log()

    def block_count(self):
        return len(re.findall(r"^Running time: [^\n]*\n", self._read_log(), re.M))

    def _running(self):
        if self.pid is None or self.returncode is not None:
            return False
        if self._child:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self._child = False
            else:
                if pid == self.pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
                    return False
                return True
        return _alive(self.pid)

    def is_running(self):
        return self._running()

    # -- start -----------------------------------------------------------
    def start(self):
        if self.pid is not None:
            raise RuntimeError("already started")
        ok, why = available()
        if not ok:
            raise RuntimeError("iptraf-ng cannot run here: " + why)
        os.makedirs(self.workpath, exist_ok=True)
        os.makedirs(self.logdir, exist_ok=True)
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        write_config(self.workpath, self.interval, servnames=self.servnames,
                     extra_ports=self.extra_ports)

        # iptraf-ng truncates the log file name to 79 characters.
        logdir_env = self.logdir
        L = self._L
        if len(self.log_path) > MAX_LOGPATH:
            self._symlink = tempfile.mktemp(prefix="itsvc%d-" % os.getpid(), dir="/tmp")
            os.symlink(os.path.dirname(self.log_path), self._symlink)
            short = os.path.join(self._symlink, os.path.basename(self.log_path))
            if len(short) > MAX_LOGPATH:
                raise ValueError("log file name too long: %s" % self.log_path)
            if L is None:
                logdir_env = self._symlink
            else:
                L = short
        try:
            self._offset = os.path.getsize(self.log_path)
        except OSError:
            self._offset = 0

        if _netns_exists(self.netns):
            raise RuntimeError("network namespace %s already exists" % self.netns)
        _ip("netns", "add", self.netns)
        self._ns_created = True
        _ip("-n", self.netns, "link", "set", "lo", "up")

        env = dict(os.environ)
        env.update(self.extra_env)
        env["IPTRAF_WORK_PATH"] = self.workpath
        env["IPTRAF_LOG_PATH"] = logdir_env
        argv = [IPTRAF_NG, "-s", "lo", "-B"]
        if L is not None:
            argv += ["-L", L]
        errpath = os.path.join(self.workdir, "iptraf-ng.stderr")
        old_subreaper = _set_subreaper(True)
        try:
            rc, msg = self._launch(argv, env, errpath)
        finally:
            if old_subreaper is not None:
                _set_subreaper(old_subreaper)
        if rc != 0:
            raise RuntimeError("iptraf-ng failed (rc %d): %s" % (rc, msg))

        deadline = time.monotonic() + 5
        while self.pid is None:
            pids = [p for p in _netns_pids(self.netns) if _comm(p) == "iptraf-ng"]
            if pids:
                self.pid = pids[0]
            elif time.monotonic() > deadline:
                raise RuntimeError("iptraf-ng daemon not found in %s (%s)" % (self.netns, msg))
            else:
                time.sleep(0.05)
        self._child = old_subreaper is not None

        deadline = time.monotonic() + 10
        while STARTED not in self._read_log():
            if not self._running():
                raise RuntimeError("iptraf-ng exited (%s) before logging; log: %r"
                                   % (self.returncode, self._read_log()))
            if time.monotonic() > deadline:
                raise TimeoutError("no 'started' line in %s" % self.log_path)
            time.sleep(0.05)
        return self

    def _launch(self, argv, env, errpath):
        for attempt in range(5):
            with open(errpath, "w+") as err:
                # the parent forks the daemon and exits at once
                rc = subprocess.call(self._ns_argv(argv), env=env,
                                     stdin=subprocess.DEVNULL, stdout=err,
                                     stderr=err, timeout=30)
                err.seek(0)
                msg = err.read().strip()
            if rc == 0:
                break
            # another iptraf-ng starting at this moment holds /var/run/iptraf-ng.pid
            if "locked" not in msg:
                break
            time.sleep(0.5 + attempt)
        return rc, msg

    # -- waiting ---------------------------------------------------------
    def wait_blocks(self, n, timeout=None):
        """Wait until this run's log holds at least n complete blocks."""
        if timeout is None:
            timeout = (self.interval + 1) * (n + 1) + 5
        deadline = time.monotonic() + timeout
        while True:
            count = self.block_count()
            if count >= n:
                return count
            if not self._running():
                raise RuntimeError("iptraf-ng is not running (exit %s; %d of %d blocks); "
                                   "log tail: %r" % (self.returncode, count, n,
                                                     self._read_log()[-600:]))
            if time.monotonic() > deadline:
                raise TimeoutError("only %d of %d blocks after %.0f s in %s"
                                   % (count, n, timeout, self.log_path))
            time.sleep(0.05)

    def wait_next_block(self, timeout=None):
        n = self.block_count() + 1
        return self.wait_blocks(n, timeout if timeout is not None else self.interval + 6)

    def last_block(self):
        return parse_last_block(self.log_path)

    # -- stop ------------------------------------------------------------
    def stop(self, timeout=10):
        """SIGUSR2, wait for exit, delete the namespace.  True if 'stopped' was logged."""
        if self._stopped:
            return STOPPED in self._read_log()
        self._stopped = True
        try:
            if self._running():
                if self.last_traffic is not None:
                    # a block with an entry < 1 s old kills iptraf-ng (SIGFPE)
                    wait = self.last_traffic + 1.5 - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                os.kill(self.pid, signal.SIGUSR2)
                deadline = time.monotonic() + timeout
                while self._running() and time.monotonic() < deadline:
                    time.sleep(0.05)
                if self._running():
                    os.kill(self.pid, signal.SIGKILL)
                    deadline = time.monotonic() + 5
                    while self._running() and time.monotonic() < deadline:
                        time.sleep(0.05)
        finally:
            self._cleanup_ns()
            if self._symlink:
                try:
                    os.unlink(self._symlink)
                except OSError:
                    pass
                self._symlink = None
        return STOPPED in self._read_log()

    def _cleanup_ns(self):
        if not self._ns_created:
            return
        for _ in range(50):
            pids = [p for p in _netns_pids(self.netns) if _alive(p)]
            if not pids:
                break
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.1)
        _ip("netns", "del", self.netns, check=False)
        self._ns_created = False


# ---------------------------------------------------------------------------
# traffic

_TRAFFIC_SCRIPT = r'''
import json, socket, sys, threading
p = json.loads(sys.argv[1])
res = {}

def echo_server(sock):
    for _ in range(p["udp_count"]):
        d, a = sock.recvfrom(65535)
        sock.sendto(d, a)

def udp_exchange(family, addr, port):
    srv = socket.socket(family, socket.SOCK_DGRAM)
    srv.bind((addr, port))
    t = threading.Thread(target=echo_server, args=(srv,))
    t.start()
    cli = socket.socket(family, socket.SOCK_DGRAM)
    cli.settimeout(5)
    got = 0
    for i in range(p["udp_count"]):
        msg = bytes([65 + i % 26]) * p["udp_size"]
        cli.sendto(msg, (addr, port))
        d, _ = cli.recvfrom(65535)
        assert d == msg, "bad echo"
        got += len(d)
    t.join(5)
    cli.close(); srv.close()
    return got

# TCP
lsn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsn.bind(("127.0.0.1", p["tcp_port"]))
lsn.listen(1)
srv_got = []
def tcp_server():
    c, _ = lsn.accept()
    n = 0
    while True:
        d = c.recv(65536)
        if not d:
            break
        n += len(d)
    srv_got.append(n)
    c.sendall(b"r" * p["tcp_reply"])
    c.close()
t = threading.Thread(target=tcp_server)
t.start()
c = socket.create_connection(("127.0.0.1", p["tcp_port"]), timeout=5)
c.sendall(b"x" * p["tcp_bytes"])
c.shutdown(socket.SHUT_WR)
n = 0
while True:
    d = c.recv(65536)
    if not d:
        break
    n += len(d)
c.close()
t.join(5)
lsn.close()
assert srv_got == [p["tcp_bytes"]] and n == p["tcp_reply"], (srv_got, n)
res["tcp"] = [srv_got[0], n]
res["udp4"] = udp_exchange(socket.AF_INET, "127.0.0.1", 7)
res["udp6"] = udp_exchange(socket.AF_INET6, "::1", p["udp6_port"])
print(json.dumps(res))
'''


def generate_traffic(runner, tcp_bytes=10000, tcp_reply=1000, udp_count=3,
                     udp_size=100, udp6_port=9, sync=True, tcp_port=8080):
    """Send known traffic inside runner's namespace; return the expected counters."""
    import json
    if sync:
        runner.wait_next_block()
    params = dict(tcp_bytes=tcp_bytes, tcp_reply=tcp_reply, udp_count=udp_count,
                  udp_size=udp_size, udp6_port=udp6_port, tcp_port=tcp_port)
    try:
        out = runner.run_in_ns([PYTHON, "-c", _TRAFFIC_SCRIPT, json.dumps(params)],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, universal_newlines=True,
                               timeout=30)
    finally:
        runner.last_traffic = time.monotonic()
    json.loads(out.stdout)

    # on lo every packet is seen twice
    def udp(n, size):
        return (2 * n, 2 * n * size, 2 * n, 2 * n * size)
    v4 = udp(udp_count, udp_size + 28)          # IPv4 20 + UDP 8
    v6 = udp(udp_count, udp_size + 48)          # IPv6 40 + UDP 8
    expected = {("udp", 7): v4}
    if udp6_port == 7:
        expected[("udp", 7)] = tuple(a + b for a, b in zip(v4, v6))
    else:
        expected[("udp", udp6_port)] = v6
    return {"udp": expected,
            "tcp": {"port": tcp_port, "sent": tcp_bytes, "received": tcp_reply}}


# ---------------------------------------------------------------------------
# parsing

_PORT_RE = re.compile(
    r"^(TCP|UDP)/(.+?): (\d+) packets, (\d+) bytes total.*?; "
    r"(\d+) packets, (\d+) bytes incoming.*?; (\d+) packets, (\d+) bytes outgoing")


def parse_blocks(path):
    """All complete blocks of the log, oldest first, as dicts (see parse_last_block)."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    blocks = []
    cur = None
    for line in text.splitlines(True):
        if not line.endswith("\n"):
            break                                   # half-written last line
        line = line.rstrip("\n")
        if line.startswith("*** TCP/UDP traffic log, generated"):
            cur = {}
        elif line.startswith("Running time:"):
            if cur is not None:
                blocks.append(cur)
            cur = None
        elif cur is not None:
            m = _PORT_RE.match(line)
            if m:
                port = m.group(2)
                port = int(port) if port.isdigit() else port
                cur[(m.group(1).lower(), port)] = tuple(
                    int(m.group(i)) for i in (5, 6, 7, 8))
            elif line.strip() and "********" in line:
                cur = None      # a started/stopped line inside a block: it was cut off
    return blocks


def parse_last_block(path):
    """{(proto, port): (in_packets, in_bytes, out_packets, out_bytes)} of the last
    complete block; ValueError if there is none."""
    blocks = parse_blocks(path)
    if not blocks:
        raise ValueError("no complete block in %s" % path)
    return blocks[-1]


if __name__ == "__main__":
    # Self test: python3 iptraf_ng_runner.py [workdir]
    ok, why = available()
    if not ok:
        print("SKIP:", why)
        sys.exit(77)
    wd = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="itsvc-")
    with IptrafNg(wd, interval=3) as ipt:
        t0 = time.monotonic()
        ipt.wait_blocks(1)
        print("block 1 after %.1f s" % (time.monotonic() - t0))
        exp = generate_traffic(ipt)
        n = ipt.block_count()
        ipt.wait_blocks(n + 2)
        last = ipt.last_block()
    print("stopped cleanly:", STOPPED in open(ipt.log_path).read(), "exit:", ipt.returncode)
    final = parse_last_block(ipt.log_path)
    print("log:", ipt.log_path)
    for k, v in sorted(last.items(), key=str):
        print(k, v)
    bad = [k for k, v in exp["udp"].items() if last.get(k) != v or final.get(k) != v]
    tcp = last.get(("tcp", 8080))
    if tcp is None or tcp[1] < 2 * exp["tcp"]["sent"] or tcp[3] < 2 * exp["tcp"]["received"] \
            or tcp[0] % 2 or tcp[2] % 2:
        bad.append(("tcp", 8080))
    print("MISMATCH:" if bad else "OK", bad or "")
    sys.exit(1 if bad else 0)
