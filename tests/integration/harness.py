"""Run a real collectd (Debian's collectd-core) with the built plugin.

The plugin under test is copied (collectd refuses a PluginDir of symlinks)
into a private plugin directory. collectd writes with the csv plugin (raw
counters, StoreRates false) and the rrdtool plugin; tests read both back.
"""
import glob
import os
import shutil
import signal
import subprocess
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(REPO, "tests", "data")
HOST = "testhost"


def plugin_path():
    p = os.environ.get("ITS_PLUGIN") or os.path.join(REPO, ".libs", "iptraf_services.so")
    if not os.path.exists(p):
        raise RuntimeError("plugin not built: %s (run make first)" % p)
    return p


class Collectd:
    """collectd -f with csv + rrdtool + logfile and an iptraf_services block."""

    def __init__(self, workdir, plugin_block, interval=1, extra="", tz="UTC",
                 rrd_step=None, load_plugin=True, netns=None, rrd=True, wrapper=()):
        self.dir = workdir
        self.netns = netns
        self.wrapper = list(wrapper)
        os.makedirs(workdir, exist_ok=True)
        self.csv_dir = os.path.join(workdir, "csv")
        self.rrd_dir = os.path.join(workdir, "rrd")
        self.log_path = os.path.join(workdir, "collectd.log")
        self.plugin_dir = os.path.join(workdir, "plugins")
        os.makedirs(self.plugin_dir, exist_ok=True)
        shutil.copy(plugin_path(), os.path.join(self.plugin_dir, "iptraf_services.so"))
        self.conf = os.path.join(workdir, "collectd.conf")
        step = "StepSize %d\n  HeartBeat %d" % (rrd_step, 2 * rrd_step) if rrd_step else ""
        with open(self.conf, "w") as f:
            f.write("""Hostname "%(host)s"
FQDNLookup false
Interval %(interval)s
BaseDir "%(dir)s"
PIDFile "%(dir)s/collectd.pid"
TypesDB "/usr/share/collectd/types.db"
PluginDir "/usr/lib/collectd"
LoadPlugin logfile
<Plugin logfile>
  LogLevel "info"
  File "%(log)s"
  Timestamp true
</Plugin>
LoadPlugin csv
<Plugin csv>
  DataDir "%(csv)s"
  StoreRates false
</Plugin>
%(rrdconf)s
%(extra)s
PluginDir "%(plugins)s"
%(load)s
%(block)s
""" % dict(host=HOST, interval=interval, dir=workdir, log=self.log_path,
           csv=self.csv_dir, rrd=self.rrd_dir, plugins=self.plugin_dir,
           block=plugin_block, extra=extra,
           rrdconf=('LoadPlugin rrdtool\n<Plugin rrdtool>\n  DataDir "%s"\n  CacheTimeout 0\n  %s\n</Plugin>'
                    % (self.rrd_dir, step)) if rrd else "",
           load="LoadPlugin iptraf_services" if load_plugin else ""))
        self.env = dict(os.environ, TZ=tz)
        # The sanitizer pass loads an ASan-built plugin into Debian's collectd.
        if os.environ.get("ITS_COLLECTD_PRELOAD"):
            self.env["LD_PRELOAD"] = os.environ["ITS_COLLECTD_PRELOAD"]
            self.env.setdefault("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1")
            self.env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
        self.proc = None

    def start(self, wait_for="Initialization complete"):
        argv = self.wrapper + ["/usr/sbin/collectd", "-f", "-C", self.conf]
        if self.netns:
            argv = ["ip", "netns", "exec", self.netns] + argv
        self.proc = subprocess.Popen(argv,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     env=self.env)
        if wait_for:
            self.wait_log(wait_for, timeout=15)
        return self

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, text, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if text in self.log():
                return True
            if self.proc and self.proc.poll() is not None:
                out = self.proc.stdout.read().decode(errors="replace")
                raise RuntimeError("collectd exited (%s): %s\n%s" % (self.proc.returncode, out, self.log()))
            time.sleep(0.05)
        raise TimeoutError("%r not in collectd's log:\n%s" % (text, self.log()))

    def stop(self, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError("collectd did not stop within %ss" % timeout)
        return self.proc.returncode if self.proc else None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- reading what collectd wrote -------------------------------------
    def csv_rows(self, instance, type_, type_instance):
        """[(epoch, rx, tx)] from the csv plugin, in file order."""
        pat = os.path.join(self.csv_dir, HOST, "iptraf_services-%s" % instance,
                           "%s-%s-*" % (type_, type_instance))
        rows = []
        for path in sorted(glob.glob(pat)):
            with open(path) as f:
                for line in f:
                    if line.startswith("epoch"):
                        continue
                    parts = line.strip().split(",")
                    if len(parts) in (2, 3):
                        rows.append(tuple(int(float(x)) for x in parts))
        return rows

    def wait_rows(self, instance, type_, type_instance, n, timeout=10):
        end = time.time() + timeout
        while True:
            rows = self.csv_rows(instance, type_, type_instance)
            if len(rows) >= n or time.time() > end:
                return rows
            time.sleep(0.05)

    def series(self, instance):
        """Set of type-type_instance names written for an instance."""
        d = os.path.join(self.csv_dir, HOST, "iptraf_services-%s" % instance)
        names = set()
        for p in glob.glob(os.path.join(d, "*")):
            base = os.path.basename(p)
            names.add(base[:-11])  # strip -YYYY-MM-DD
        return names

    def rrd_path(self, instance, type_, type_instance):
        return os.path.join(self.rrd_dir, HOST, "iptraf_services-%s" % instance,
                            "%s-%s.rrd" % (type_, type_instance))


def unprivileged_collectd(base, body):
    """Starts a Collectd in `base`/cd run as nobody, without any capability
    (no CAP_NET_RAW, CAP_BPF or CAP_SYS_ADMIN), and returns it. `base` must
    be a directory nobody can enter (tmp_path is not: use tempfile.mkdtemp
    and chmod it 0755); its working files are made writable by all."""
    work = os.path.join(base, "cd")
    cd = Collectd(work, body, rrd=False)
    for root, dirs, files in os.walk(work):
        os.chmod(root, 0o777)
        for f in files:
            os.chmod(os.path.join(root, f), 0o666)
    argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all",
            "/usr/sbin/collectd", "-f", "-C", cd.conf]
    cd.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env=cd.env)
    return cd


# The bundled log tests/data/runA-after-rotation-then-runB.log: a <Log> block
# catching up sends the values of its last block once (see
# test_log_collectd.test_samples_catch_up_last_block_and_service_names).
SAMPLE_LOG = "runA-after-rotation-then-runB.log"
SAMPLE_LOG_LAST = {  # if_octets series: (time, rx, tx)
    "tcp-80": (1795970946, 4488 + 1226, 804920 + 201256),
    "tcp-139": (1795970946, 120, 80),
    "udp-1023": (1795970946, 152, 0),
}


def copy_sample_log(directory, name="tcp_udp_services-eth0.log"):
    """The bundled sample log copied into `directory`, readable by all."""
    path = os.path.join(directory, name)
    shutil.copy(os.path.join(DATA, SAMPLE_LOG), path)
    os.chmod(path, 0o644)
    return path


def check_sample_log_values(cd, instance, timeout=10):
    """Waits for the sample log's values in collectd's csv files and checks
    them: exactly one row per series."""
    for ti, row in SAMPLE_LOG_LAST.items():
        rows = cd.wait_rows(instance, "if_octets", ti, 1, timeout=timeout)
        assert rows == [row], (ti, rows, cd.log())


def rrd_lastupdate(path):
    """(time, {ds: value}) from `rrdtool lastupdate`."""
    out = subprocess.run(["rrdtool", "lastupdate", path], check=True,
                         capture_output=True, text=True).stdout
    lines = [l for l in out.splitlines() if l.strip()]
    names = lines[0].split()
    t, vals = lines[-1].split(":", 1)
    return int(t), dict(zip(names, [int(float(v)) for v in vals.split()]))


def ctime(t):
    """iptraf's timestamp format (ctime(3) in UTC, as the tests run collectd with TZ=UTC)."""
    return time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(t))


def started_line(t):
    return "%s; ******** TCP/UDP service monitor started ********\n" % ctime(t)


def block_text(t, entries, running=60, rate=True):
    """entries: [(proto, port, in_p, in_b, out_p, out_b)] -> an iptraf-ng block."""
    out = ["\n*** TCP/UDP traffic log, generated %s\n\n" % ctime(t)]
    for proto, port, ip, ib, op, ob in entries:
        r = (lambda: ",      0.00 kbps") if rate else (lambda: "")
        out.append("%s/%s: %d packets, %d bytes total%s; %d packets, %d bytes incoming%s; "
                   "%d packets, %d bytes outgoing%s\n\n"
                   % (proto.upper(), port, ip + op, ib + ob, r(), ip, ib, r(), op, ob, r()))
    out.append("\nRunning time: %d seconds\n" % running)
    return "".join(out)


def append(path, text):
    with open(path, "a") as f:
        f.write(text)


# --- helpers for the front-end and forwarding tests ----------------------
import socket  # noqa: E402
import struct  # noqa: E402

CONF_D = os.path.join(REPO, "collectd.conf.d")


def free_port(kind=socket.SOCK_STREAM):
    """A port on 127.0.0.1 that is free now (TCP or UDP, as `kind` says)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout=10, what="condition", interval=0.05):
    """Polls check() until it returns something true; returns that value."""
    end = time.time() + timeout
    while True:
        v = check()
        if v:
            return v
        if time.time() > end:
            raise TimeoutError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(interval)


def png_size(data):
    """(width, height) from a PNG's IHDR; raises ValueError if not a PNG."""
    if isinstance(data, str):
        with open(data, "rb") as f:
            data = f.read()
    if len(data) < 33 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG (%d bytes, starts %r)" % (len(data), data[:16]))
    return struct.unpack(">II", data[16:24])


def rrd_info(path):
    """`rrdtool info` as a dict: {'step': 300, 'rra[0].cf': 'AVERAGE', ...}."""
    out = subprocess.run(["rrdtool", "info", path], check=True,
                         capture_output=True, text=True).stdout
    info = {}
    for line in out.splitlines():
        key, sep, val = line.partition(" = ")
        if not sep:
            continue
        val = val.strip()
        if val.startswith('"'):
            info[key] = val.strip('"')
        else:
            try:
                info[key] = int(val)
            except ValueError:
                info[key] = float(val)
    return info


def rrd_rras(path):
    """[(cf, pdp_per_row, rows)] for every RRA of an RRD file, in file order."""
    info = rrd_info(path)
    n = 0
    rras = []
    while "rra[%d].cf" % n in info:
        rras.append((info["rra[%d].cf" % n], info["rra[%d].pdp_per_row" % n],
                     info["rra[%d].rows" % n]))
        n += 1
    return rras


def conf_example(name, replace=()):
    """The text of collectd.conf.d/<name>, with each (old, new) of `replace`
    substituted; every `old` must occur exactly once, so a test notices when
    the shipped file changes under it."""
    with open(os.path.join(CONF_D, name)) as f:
        text = f.read()
    for old, new in replace:
        n = text.count(old)
        if n != 1:
            raise AssertionError("%r occurs %d times in %s (expected once)" % (old, n, name))
        text = text.replace(old, new)
    return text


class ConfCollectd(Collectd):
    """collectd -f with the caller's own Hostname and plugin sections.

    Only the global settings and the logfile plugin are written here; the
    caller passes everything else as `body`, in which the strings %(csv)s,
    %(rrd)s and %(plugins)s (nothing else is substituted) stand for this
    instance's csv DataDir, rrdtool DataDir and a private plugin directory
    holding a copy of the built plugin.
    """

    def __init__(self, workdir, host, body, interval=1, tz="UTC"):
        # Collectd's own set-up (directories, plugin copy, attributes start()
        # uses), then this instance's configuration in place of its file.
        super().__init__(workdir, "", interval=interval, tz=tz, load_plugin=False)
        self.host = host
        with open(self.conf, "w") as f:
            f.write("""Hostname "%(host)s"
FQDNLookup false
Interval %(interval)s
BaseDir "%(dir)s"
PIDFile "%(dir)s/collectd.pid"
TypesDB "/usr/share/collectd/types.db"
PluginDir "/usr/lib/collectd"
LoadPlugin logfile
<Plugin logfile>
  LogLevel "info"
  File "%(log)s"
  Timestamp true
</Plugin>
""" % dict(host=host, interval=interval, dir=workdir, log=self.log_path))
            for key, val in (("csv", self.csv_dir), ("rrd", self.rrd_dir), ("plugins", self.plugin_dir)):
                body = body.replace("%%(%s)s" % key, val)
            f.write(body)

    def host_csv_rows(self, host, instance, type_, type_instance):
        """[(epoch, rx, tx)] from the csv plugin's files for `host`."""
        pat = os.path.join(self.csv_dir, host, "iptraf_services-%s" % instance,
                           "%s-%s-*" % (type_, type_instance))
        rows = []
        for path in sorted(glob.glob(pat)):
            with open(path) as f:
                for line in f:
                    parts = line.strip().split(",")
                    if line.startswith("epoch") or len(parts) != 3:
                        continue
                    rows.append((int(float(parts[0])), int(float(parts[1])), int(float(parts[2]))))
        return rows

    def host_rrd_path(self, host, instance, type_, type_instance):
        return os.path.join(self.rrd_dir, host, "iptraf_services-%s" % instance,
                            "%s-%s.rrd" % (type_, type_instance))


def feed_blocks(cd, log, instance, blocks, timeout=10):
    """Appends iptraf-ng blocks to `log` one at a time, like a live iptraf-ng:
    each block only after collectd (a `Collectd`) has written the previous
    one to csv, and the first one to its RRD files too.

    blocks: [(time, entries)] with block_text's entries (cumulative counts).
    Feeding a whole history at once (ReplayHistory) makes the plugin dispatch
    several values of one series in one read, which collectd's write threads
    may reorder; this keeps one value per series in flight.
    """
    for n, (t, entries) in enumerate(blocks):
        append(log, block_text(t, entries, running=300 * (n + 1)))
        names = ["%s-%d" % (proto, port) for proto, port, *_ in entries]
        for type_ in ("if_octets", "if_packets"):
            for ti in names:
                wait_until(lambda: t in [r[0] for r in cd.csv_rows(instance, type_, ti)],
                           timeout, "%s-%s at %d in csv" % (type_, ti, t))
                if n == 0:
                    wait_until(lambda: os.path.exists(cd.rrd_path(instance, type_, ti)),
                               timeout, "RRD file of %s-%s" % (type_, ti))
    t_last = blocks[-1][0]
    for type_ in ("if_octets", "if_packets"):
        for ti in names:
            wait_until(lambda: rrd_lastupdate(cd.rrd_path(instance, type_, ti))[0] == t_last,
                       timeout, "%s-%s at %d in its RRD" % (type_, ti, t_last))
