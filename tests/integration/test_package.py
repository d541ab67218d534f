"""The Debian package, as a user gets it: built from a copy of the tree with
`dpkg-buildpackage -us -uc -b`, clean under lintian, installed with
`apt-get install ./collectd-iptraf-services_*.deb`, run by Debian's own
/usr/sbin/collectd loading the plugin from /usr/lib/collectd on a log and a
capture file (exact values), then removed and purged without a trace.

This is the one test that installs into the real system (/usr, /etc and
dpkg's database). It refuses to run if the package is installed already,
always purges it again (in a finally), and puts back any file of the same
path that was there before without a package (`make install`, scripts/demo),
so that the tests that use a `make install`'d plugin see what they saw.
"""
import glob
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

from harness import (DATA, HOST, REPO, SAMPLE_LOG_LAST, Collectd, check_sample_log_values,
                     copy_sample_log, rrd_lastupdate, wait_until)
from netns import Netns
from test_capture import as_tuples, ground_truth, replay, wait_values

PACKAGE = "collectd-iptraf-services"
CONFFILE = "/etc/collectd/collectd.conf.d/iptraf_services.conf"
# The default StateFile of Debian's collectd (BaseDir /var/lib/collectd):
# the plugin's data, which purge takes (debian/collectd-iptraf-services.postrm).
STATE_FILE = "/var/lib/collectd/iptraf_services.state"
APT_ENV = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
APT = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "-y", "-q"]


def run(argv, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("text", True)
    return subprocess.run(argv, **kw)


def installed_state():
    """dpkg's status of the package ('' when dpkg knows nothing of it)."""
    r = run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}", PACKAGE])
    return r.stdout.strip() if r.returncode == 0 else ""


def copy_of_the_tree(dest):
    """The repository's files, without build products (what CI clones)."""
    if os.path.exists(os.path.join(REPO, ".git")):
        files = run(["git", "-C", REPO, "ls-files", "-z"], check=True).stdout.split("\0")
        for f in filter(None, files):
            src = os.path.join(REPO, f)
            if os.path.lexists(src):
                os.makedirs(os.path.dirname(os.path.join(dest, f)), exist_ok=True)
                shutil.copy2(src, os.path.join(dest, f), follow_symlinks=False)
    else:
        shutil.copytree(REPO, dest, symlinks=True, dirs_exist_ok=True)
        run(["make", "distclean"], cwd=dest)


@pytest.fixture(scope="module")
def built():
    """{'dir', 'deb', 'changes', 'log'}: the package built once for the module."""
    top = tempfile.mkdtemp(prefix="its-test-package-")
    src = os.path.join(top, "iptraf-services")
    copy_of_the_tree(src)
    env = dict(os.environ, DEB_BUILD_OPTIONS="parallel=%d" % (os.cpu_count() or 1))
    # The source package first (from the pristine copy: lintian checks the
    # format, copyright and changelog there), then the binary one as the
    # README says.
    r = run(["dpkg-buildpackage", "-us", "-uc", "-S"], cwd=src, env=env,
            stderr=subprocess.STDOUT)
    assert r.returncode == 0, r.stdout[-6000:]
    r = run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, env=env,
            stderr=subprocess.STDOUT)
    assert r.returncode == 0, r.stdout[-6000:]
    debs = glob.glob(os.path.join(top, PACKAGE + "_*.deb"))
    changes = sorted(glob.glob(os.path.join(top, "*.changes")))
    assert len(debs) == 1 and len(changes) == 2, os.listdir(top)
    yield dict(dir=top, deb=debs[0], changes=changes, log=r.stdout)
    shutil.rmtree(top, ignore_errors=True)


def test_version_is_the_one_configure_declares():
    with open(os.path.join(REPO, "configure.ac")) as f:
        upstream = re.search(r"AC_INIT\(\[iptraf_services\], \[([^]]+)\]", f.read()).group(1)
    with open(os.path.join(REPO, "debian", "changelog")) as f:
        first = f.readline()
    # Native package: the version is upstream's, without a Debian revision.
    assert re.match(r"iptraf-services \(%s\) " % re.escape(upstream), first), first


def test_lintian_reports_no_error_and_no_warning(built):
    # The binary and the source .changes (and with them the .deb, the
    # -dbgsym .deb, the .dsc and the .buildinfo files), and the .deb alone.
    for target in built["changes"] + [built["deb"]]:
        r = run(["lintian", "--info", "--fail-on", "error,warning", target])
        tags = [l for l in r.stdout.splitlines() if re.match(r"[EW]: ", l)]
        assert r.returncode == 0 and not tags, r.stdout + r.stderr


def automake_list(name):
    """The words of Makefile.am's variable `name` (with += and continuations)."""
    with open(os.path.join(REPO, "Makefile.am")) as f:
        text = f.read().replace("\\\n", " ")
    words = []
    for m in re.finditer(r"^%s\s*\+?=(.*)$" % re.escape(name), text, re.M):
        words += m.group(1).split()
    return words


def test_build_has_the_ebpf_method_and_the_right_paths(built):
    assert re.search(r"eBPF method:\s+yes", built["log"]), "configure built no eBPF method"
    listing = run(["dpkg-deb", "-c", built["deb"]], check=True).stdout
    paths = {l.split()[-1].lstrip(".") for l in listing.splitlines()}
    for p in ("/usr/lib/collectd/iptraf_services.so", "/usr/bin/iptraf-services-count",
              "/usr/share/man/man5/iptraf_services.5.gz",
              "/usr/share/man/man1/iptraf-services-count.1.gz", CONFFILE,
              "/usr/share/doc/%s/copyright" % PACKAGE):
        assert p in paths, (p, sorted(paths))
    # Every program and man page `make install` installs, and only those.
    programs = automake_list("bin_PROGRAMS")
    assert "iptraf-services-count" in programs
    assert sorted(p for p in paths if p.startswith("/usr/bin/") and p != "/usr/bin/") == \
        sorted("/usr/bin/" + p for p in programs)
    pages = automake_list("dist_man_MANS")
    assert sorted(p for p in paths if p.startswith("/usr/share/man/man") and p.endswith(".gz")) == \
        sorted("/usr/share/man/man%s/%s.gz" % (p[-1], os.path.basename(p)) for p in pages)
    # No .la, nothing under the multiarch libdir collectd does not read.
    assert not [p for p in paths if p.endswith(".la") or "-linux-gnu" in p]
    # The examples live in the documentation, not beside the live configuration.
    examples = sorted(os.path.basename(p) for p in glob.glob(os.path.join(REPO, "collectd.conf.d", "*.example")))
    assert examples
    doc = "/usr/share/doc/%s/examples/" % PACKAGE
    assert sorted(p[len(doc):] for p in paths if p.startswith(doc) and p != doc) == examples
    assert not [p for p in paths if p.startswith("/etc/") and p.endswith(".example")]
    conffiles = run(["dpkg-deb", "--ctrl-tarfile", built["deb"]], check=True, text=False).stdout
    assert CONFFILE.encode() in conffiles
    fields = run(["dpkg-deb", "-f", built["deb"], "Depends", "Recommends", "Suggests"],
                 check=True).stdout
    depends = fields.split("\n")[0]
    for dep in ("libpcap0.8", "libbpf1", "libc6"):
        assert dep in depends, fields
    # The collectd it was built for, up to the next major version.
    built_for = run(["dpkg-query", "-W", "-f", "${Version}", "collectd-dev"], check=True).stdout
    upstream = re.sub(r"^\d+:|-[^-]*$", "", built_for)
    assert ("collectd-core (>= %s), collectd-core (<< %d)" % (upstream, int(upstream.split(".")[0]) + 1)
            in depends), fields
    assert "iptraf-ng" in fields and "rrdtool" in fields


class PackagedCollectd(Collectd):
    """Debian's collectd loading the plugin from /usr/lib/collectd (no private
    copy, unlike harness.Collectd), with the package's collectd.conf.d
    included the way Debian's /etc/collectd/collectd.conf includes it, and
    Debian's BaseDir (where the plugin's state file goes by default); the
    written data stay in `workdir`."""

    def __init__(self, workdir, plugin_block, netns=None, conf_d="/etc/collectd/collectd.conf.d"):
        self.dir = workdir
        self.netns = netns
        self.wrapper = []
        self.csv_dir = os.path.join(workdir, "csv")
        self.rrd_dir = os.path.join(workdir, "rrd")
        self.log_path = os.path.join(workdir, "collectd.log")
        self.conf = os.path.join(workdir, "collectd.conf")
        self.env = dict(os.environ, TZ="UTC")
        self.proc = None
        os.makedirs(workdir, exist_ok=True)
        with open(self.conf, "w") as f:
            f.write("""Hostname "%(host)s"
FQDNLookup false
Interval 1
BaseDir "/var/lib/collectd"
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
LoadPlugin rrdtool
<Plugin rrdtool>
  DataDir "%(rrd)s"
  CacheTimeout 0
</Plugin>
<Include "%(conf_d)s">
  Filter "*.conf"
</Include>
%(block)s
""" % dict(host=HOST, dir=workdir, log=self.log_path, csv=self.csv_dir, rrd=self.rrd_dir,
           block=plugin_block, conf_d=conf_d))


def move_aside_unowned(paths, backup):
    """Moves files at the package's paths that no package owns (a `make
    install`) to `backup`; returns [(original, saved)] to put back."""
    saved = []
    for p in paths:
        if os.path.lexists(p) and not os.path.isdir(p) and run(["dpkg", "-S", p]).returncode != 0:
            dest = os.path.join(backup, p.lstrip("/"))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.move(p, dest)
            saved.append((p, dest))
    return saved


def test_install_run_remove_purge(built, tmp_path):
    assert installed_state() == "", (
        "%s is installed on this machine (%s); this test installs and purges it: "
        "apt-get purge %s first" % (PACKAGE, installed_state(), PACKAGE))
    listing = run(["dpkg-deb", "-c", built["deb"]], check=True).stdout
    pkg_paths = [l.split()[-1].lstrip(".").rstrip("/") or "/" for l in listing.splitlines()]
    dirs_before = {p for p in pkg_paths if os.path.isdir(p)}
    # What a `make install` left (debian/tmp of the build holds its layout:
    # man pages not compressed, examples in /etc) would shadow the package's
    # files: a fresh machine has none of it.
    tmp = os.path.join(built["dir"], "iptraf-services", "debian", "tmp")
    make_paths = [os.path.join("/", os.path.relpath(os.path.join(d, f), tmp))
                  for d, _, fs in os.walk(tmp) for f in fs]
    assert "/usr/lib/collectd/iptraf_services.so" in make_paths
    saved = move_aside_unowned(pkg_paths + make_paths + [STATE_FILE], str(tmp_path / "saved"))
    cd = ns = None
    try:
        # Installed the way the README says (apt resolves the dependencies).
        r = run(APT + ["install", os.path.abspath(built["deb"])], env=APT_ENV)
        assert r.returncode == 0, r.stdout + r.stderr
        assert installed_state() == "ii"
        files = [os.path.normpath(p) for p in run(["dpkg", "-L", PACKAGE], check=True).stdout.split()]
        for p in ("/usr/lib/collectd/iptraf_services.so", "/usr/bin/iptraf-services-count", CONFFILE):
            assert p in files and os.path.isfile(p), p
        conffiles = run(["dpkg-query", "-W", "-f", "${Conffiles}", PACKAGE], check=True).stdout
        assert CONFFILE in conffiles
        # The conffile is inert: comments only.
        with open(CONFFILE) as f:
            live = [l for l in f if l.strip() and not l.lstrip().startswith("#")]
        assert live == []
        man = run(["man", "-w", "5", "iptraf_services"])
        assert man.stdout.strip() == "/usr/share/man/man5/iptraf_services.5.gz", man

        # The packaged tool: exact per-port totals of a capture and of a log.
        r = run(["/usr/bin/iptraf-services-count", "-p", "0-65535", "-r",
                 os.path.join(DATA, "real_sample.pcap")])
        assert r.returncode == 0, r.stderr
        with open(os.path.join(DATA, "real_sample.reasm.tsv")) as f:
            next(f)
            want = ["\t".join(l.split()[i] for i in (0, 1, 2, 3, 5)) for l in f]
        assert r.stdout.strip().splitlines()[1:] == want
        r = run(["/usr/bin/iptraf-services-count", "-l", os.path.join(DATA, "runA-after-rotation-then-runB.log")])
        assert "tcp\t80\tin\t92\t5714" in r.stdout.splitlines(), r.stdout + r.stderr

        # Debian's collectd with the packaged plugin, in a network namespace
        # of its own: the bundled log, a capture file, and lo counted by the
        # eBPF method while the capture is replayed on it; exact values in
        # csv and in the rrdtool plugin's RRDs.
        work = str(tmp_path / "cd")
        os.makedirs(work)
        log = copy_sample_log(work)
        pcap = os.path.join(DATA, "synth_sample.pcap")
        expected = as_tuples(ground_truth("synth_sample", 1023))  # the default ports
        ns = Netns().__enter__()
        cd = PackagedCollectd(work, 'LoadPlugin iptraf_services\n<Plugin iptraf_services>\n <Log "%s">\n  Instance "pkglog"\n </Log>\n'
                              ' <Capture "pkgreplay">\n  File "%s"\n </Capture>\n'
                              ' <Capture "lo">\n  Method "ebpf"\n </Capture>\n</Plugin>\n' % (log, pcap),
                              netns=ns.name)
        cd.start()
        with open("/proc/%d/maps" % cd.proc.pid) as f:
            maps = f.read()
        assert "/usr/lib/collectd/iptraf_services.so" in maps
        wait_until(lambda: "capture on lo: started" in cd.log() or 'Method "ebpf": ' in cd.log(),
                   15, "the eBPF capture on lo to start or fail")
        no_ebpf = re.search(r'Method "ebpf": (.*)', cd.log())
        if not no_ebpf:
            assert "capture on lo: started (eBPF socket filter" in cd.log(), cd.log()
            replay(ns, "lo", pcap)
            assert wait_values(cd, "lo", expected) == expected
        check_sample_log_values(cd, "pkglog")
        for ti, (t, rx, tx) in SAMPLE_LOG_LAST.items():
            path = cd.rrd_path("pkglog", "if_octets", ti)
            got = wait_values_rrd(path, t)
            assert got == (t, {"rx": rx, "tx": tx}), (ti, got, cd.log())
        assert wait_values(cd, "pkgreplay", expected) == expected
        cd.wait_log("counted: 10000 frames", timeout=20)
        assert cd.stop() == 0
        cd = None
        with open(STATE_FILE) as f:
            assert "pkglog\t%s\t1795970946" % log in f.read()

        # The conffile enabled the way its comments say (uncomment LoadPlugin
        # and the blocks: one '#' off every line): Debian's collectd starts
        # with it and the plugin says what it waits for (no such log, no eth0
        # in the namespace).
        ns.__exit__(None, None, None)
        ns = Netns().__enter__()
        enabled_d = str(tmp_path / "enabled.conf.d")
        os.makedirs(enabled_d)
        with open(CONFFILE) as f:
            text = f.read()
        head, sep, body = text.partition("#LoadPlugin iptraf_services\n")
        assert sep, text
        body = "".join(l[1:] if l.startswith("#") else l for l in (sep + body).splitlines(True))
        with open(os.path.join(enabled_d, "iptraf_services.conf"), "w") as out:
            out.write(head + body)
        cd = PackagedCollectd(str(tmp_path / "enabled"), "", netns=ns.name, conf_d=enabled_d)
        cd.start()
        cd.wait_log("/var/log/iptraf-ng/tcp_udp_services-eth0.log does not exist (yet)")
        cd.wait_log("capture on eth0: the interface does not exist (yet)")
        assert "configuration error" not in cd.log(), cd.log()
        assert cd.stop() == 0
        out = cd.proc.stdout.read().decode(errors="replace")
        cd = None
        assert "error" not in (out + cd_log_text(tmp_path / "enabled")).lower(), out

        # remove keeps the conffile (dpkg state "rc"), purge takes it.
        r = run(APT + ["remove", PACKAGE], env=APT_ENV)
        assert r.returncode == 0, r.stdout + r.stderr
        assert installed_state() == "rc"
        assert os.path.isfile(CONFFILE) and os.path.isfile(STATE_FILE)
        assert not os.path.exists("/usr/lib/collectd/iptraf_services.so")
        r = run(APT + ["purge", PACKAGE], env=APT_ENV)
        assert r.returncode == 0, r.stdout + r.stderr
        assert installed_state() == ""
        assert not os.path.lexists(STATE_FILE)
        left = []
        for p in files:
            if not os.path.lexists(p):
                continue
            # A directory may stay when another package owns it or it was there before.
            if os.path.isdir(p) and (p in dirs_before or run(["dpkg", "-S", p]).returncode == 0):
                continue
            left.append(p)
        assert left == []
        assert glob.glob("/var/lib/dpkg/info/%s.*" % PACKAGE) == []
        if no_ebpf:  # a platform limit, not the package: test_ebpf says the same
            pytest.skip("eBPF cannot load here: " + no_ebpf.group(1))
    finally:
        if cd is not None:
            cd.stop()
        if ns is not None:
            ns.__exit__(None, None, None)
        if installed_state():
            run(APT + ["purge", PACKAGE], env=APT_ENV)
        if os.path.lexists(STATE_FILE):  # this test's own, if purge left it
            os.remove(STATE_FILE)
        for original, kept in saved:
            os.makedirs(os.path.dirname(original), exist_ok=True)
            shutil.move(kept, original)


def cd_log_text(workdir):
    with open(os.path.join(str(workdir), "collectd.log"), errors="replace") as f:
        return f.read()


def wait_values_rrd(path, t, timeout=10):
    """rrd_lastupdate(path) once the RRD holds the update at time t."""
    end = time.time() + timeout
    got = None
    while time.time() < end:
        if os.path.exists(path):
            got = rrd_lastupdate(path)
            if got[0] == t:
                break
        time.sleep(0.1)
    return got
