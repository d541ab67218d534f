"""make install puts the plugin where collectd finds it; configure names the
Debian package of a missing dependency."""
import os
import subprocess

from harness import REPO


def test_make_install_layout(tmp_path):
    dest = str(tmp_path / "root")
    subprocess.run(["make", "install", "DESTDIR=" + dest], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)
    so = os.path.join(dest, "usr/lib/collectd/iptraf_services.so")
    assert os.path.isfile(so)
    assert not os.path.exists(os.path.join(dest, "usr/lib/collectd/iptraf_services.la"))
    assert os.path.isfile(os.path.join(dest, "usr/bin/iptraf-services-count"))
    assert os.path.isfile(os.path.join(dest, "usr/share/man/man5/iptraf_services.5"))
    assert os.path.isfile(os.path.join(dest, "usr/share/man/man1/iptraf-services-count.1"))
    assert os.path.isfile(os.path.join(dest, "usr/bin/iptraf-services-import"))
    assert os.path.isfile(os.path.join(dest, "usr/share/man/man1/iptraf-services-import.1"))
    conf = os.path.join(dest, "etc/collectd/collectd.conf.d/iptraf_services.conf")
    assert os.path.isfile(conf)
    assert "LoadPlugin iptraf_services" in open(conf).read()
    for example in ("rrdtool-mrtg", "network-sensor", "network-server"):
        assert os.path.isfile(os.path.join(dest, "etc/collectd/collectd.conf.d/%s.conf.example" % example))
    # The installed file is what collectd loads: it exports module_register.
    syms = subprocess.run(["nm", "-D", "--defined-only", so], capture_output=True,
                          text=True, check=True).stdout
    assert " module_register" in syms
    # Every undefined symbol from collectd is one the daemon exports.
    undefined = subprocess.run(["nm", "-D", "--undefined-only", so], capture_output=True,
                               text=True, check=True).stdout.split()
    exported = set(subprocess.run(["nm", "-D", "--defined-only", "/usr/sbin/collectd"],
                                  capture_output=True, text=True, check=True).stdout.split())
    ours = [s for s in undefined if s.startswith(("plugin_", "cf_util", "sstrncpy", "hostname_g",
                                                  "global_option"))]
    assert ours and all(s in exported for s in ours)
    assert "global_option_get" in ours  # StateFile's default: BaseDir


def test_configure_names_the_missing_package(tmp_path):
    # A private copy of what configure needs: the source tree is configured
    # already, and autoconf refuses a second configuration next to it.
    import shutil
    src = tmp_path / "src"
    shutil.copytree(os.path.join(REPO, "build-aux"), str(src / "build-aux"))
    os.makedirs(str(src / "src"))
    for f in ("configure", "Makefile.in", "src/its_config.h.in", "src/iptraf_services.c"):
        shutil.copy(os.path.join(REPO, f), str(src / f))
    r = subprocess.run(["./configure", "--with-collectd-include=/nonexistent"],
                       cwd=str(src), capture_output=True, text=True)
    assert r.returncode != 0
    assert "apt-get install collectd-dev" in r.stderr


def test_man_pages_render_without_warnings():
    for page in ("doc/iptraf_services.5", "doc/iptraf-services-count.1",
                 "doc/iptraf-services-import.1"):
        r = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", os.path.join(REPO, page)],
                           capture_output=True, text=True,
                           env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MANPAGER="cat", PAGER="cat"))
        assert r.returncode == 0
        assert r.stderr == "", r.stderr
        assert "SEE ALSO" in r.stdout and len(r.stdout) > 1500
    five = subprocess.run(["man", "-l", os.path.join(REPO, "doc/iptraf_services.5")],
                          capture_output=True, text=True,
                          env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MANPAGER="cat")).stdout
    # Every option of both blocks is documented.
    for opt in ("Instance", "Port", "ReplayHistory", "Interval", "LogInterval",
                "IncompleteBlockTimeout", "MaxLineLength", "File", "ReportOther", "BufferSize",
                "SnapLen", "Promiscuous", "Filter", "FragmentTableSize", "FragmentTimeout",
                "RetryInterval", "StateFile"):
        assert opt in five, opt
