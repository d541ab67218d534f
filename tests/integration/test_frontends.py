"""The front ends graph the RRD files the plugin writes: collection3 and the
single-file collection.cgi (both from collectd-core's examples) and
contrib/iptraf_services.rrdcgi, served by a real lighttpd on 127.0.0.1 and
looked at in a headless Chromium.

Nothing outside tmp is touched. collection.cgi reads the hard-coded
/etc/collectd/collection.conf: the test serves a copy of the installed
script whose `$Config` line (the only change) names a collection.conf in tmp.
collection3 is copied to tmp and its etc/collection.conf gets a DataDir line.
The rrdcgi page is served from a copy whose SETVAR lines name tmp's
directories, once through Debian's /cgi-bin/ style (its #! line) and once
through the handler line its header documents.

The image sizes are rrdtool 1.7.2's (Debian 12) for each front end's canvas
size, legend and fonts (fonts-dejavu-core).
"""
import html
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from harness import (HOST, REPO, Collectd, append, feed_blocks, free_port,
                     png_size, started_line, wait_until)

EXAMPLES = "/usr/share/doc/collectd-core/examples"
RRDCGI_PAGE = os.path.join(REPO, "contrib", "iptraf_services.rrdcgi")

# Bytes and packets per 5 min block: (proto, port, in_p, in_b, out_p, out_b).
PER_BLOCK = [("tcp", 22, 10, 10000, 5, 3000),
             ("tcp", 25, 4, 2400, 4, 600),
             ("tcp", 80, 50, 6000, 60, 75000),
             ("tcp", 119, 20, 1500, 30, 45000),
             ("tcp", 443, 40, 9000, 50, 60000)]
PORTS = ["%s-%d" % (p[0], p[1]) for p in PER_BLOCK]
BLOCKS = 24  # two hours


def requirements():
    """Skip (naming the Debian package) when something needed is missing."""
    need = [("lighttpd", shutil.which("lighttpd")),
            ("chromium", shutil.which("chromium")),
            ("rrdtool", shutil.which("rrdcgi")),
            ("collectd-core", os.path.isdir(os.path.join(EXAMPLES, "collection3"))),
            ("python3-pil", _has_pil())]
    for module, pkg in (("RRDs", "librrds-perl"), ("Config::General", "libconfig-general-perl"),
                        ("HTML::Entities", "libhtml-parser-perl"),
                        ("Regexp::Common", "libregexp-common-perl"), ("CGI", "libcgi-pm-perl"),
                        ("URI::Escape", "liburi-perl")):
        ok = subprocess.run(["perl", "-M" + module, "-e", "1"], capture_output=True).returncode == 0
        need.append((pkg, ok))
    missing = [pkg for pkg, ok in need if not ok]
    if missing:
        pytest.skip("Debian packages not installed: %s (see tests/integration/PACKAGES)"
                    % " ".join(missing))


def _has_pil():
    try:
        import PIL.Image  # noqa: F401
        return True
    except ImportError:
        return False


def replace_once(text, old, new, what):
    assert text.count(old) == 1, "%r should occur once in %s" % (old, what)
    return text.replace(old, new)


class Lighttpd:
    """lighttpd -D on 127.0.0.1 with a config written into `root`."""

    def __init__(self, root, body):
        self.root = root
        self.body = body
        self.proc = None
        self.port = None
        self.errorlog = os.path.join(root, "lighttpd-error.log")

    def start(self):
        for _ in range(5):  # another process may take the free port first
            self.port = free_port()
            conf = os.path.join(self.root, "lighttpd.conf")
            with open(conf, "w") as f:
                f.write('server.bind = "127.0.0.1"\nserver.port = %d\n'
                        'server.errorlog = "%s"\n%s' % (self.port, self.errorlog, self.body))
            self.proc = subprocess.Popen(["lighttpd", "-D", "-f", conf],
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            try:
                wait_until(lambda: self.proc.poll() is not None or self._accepts(),
                           10, "lighttpd to listen")
            except TimeoutError:
                self.stop()
                raise
            if self.proc.poll() is None:
                return self
            self.stop()
        raise RuntimeError("lighttpd did not start: %s" % self.log())

    def _accepts(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            return True
        except OSError:
            return False

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def get(self, path):
        """(status, content type, body)"""
        try:
            with urllib.request.urlopen(self.url(path), timeout=60) as r:
                return r.status, r.headers.get("Content-Type", ""), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type", ""), e.read()

    def log(self):
        try:
            with open(self.errorlog, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    requirements()
    root = str(tmp_path_factory.mktemp("frontends"))
    # RRD files written by the plugin: 24 blocks, 5 min apart, ending now.
    t_end = (int(time.time()) // 300) * 300
    t0 = t_end - 300 * BLOCKS
    log = os.path.join(root, "tcp_udp_services-eth0.log")
    append(log, started_line(t0))
    cfg = '<Plugin iptraf_services>\n  <Log "%s">\n    Interval 0.1\n  </Log>\n</Plugin>\n' % log
    cd = Collectd(os.path.join(root, "cd"), cfg,
                  extra='Include "%s"\n' % os.path.join(REPO, "collectd.conf.d",
                                                        "rrdtool-mrtg.conf.example"))
    blocks = [(t0 + 300 * k, [(pr, po, k * ip, k * ib, k * op, k * ob)
                              for pr, po, ip, ib, op, ob in PER_BLOCK])
              for k in range(1, BLOCKS + 1)]
    with cd:
        feed_blocks(cd, log, "eth0", blocks)
    rrd_dir = cd.rrd_dir

    www = os.path.join(root, "www")
    os.makedirs(os.path.join(www, "iptraf"))
    os.makedirs(os.path.join(www, "iptraf_services"))  # rrdcgi's imgdir

    # collection3: a copy, with DataDir pointing at the test's RRD files.
    c3 = os.path.join(root, "collection3")
    shutil.copytree(os.path.join(EXAMPLES, "collection3"), c3)
    with open(os.path.join(c3, "etc", "collection.conf"), "a") as f:
        f.write('\nDataDir "%s"\n' % rrd_dir)

    # collection.cgi: a copy whose hard-coded config path names tmp.
    cgibin = os.path.join(root, "cgi-bin")
    os.makedirs(cgibin)
    with open(os.path.join(EXAMPLES, "collection.cgi")) as f:
        script = f.read()
    script = replace_once(script, 'our $Config = "/etc/collectd/collection.conf";',
                          'our $Config = "%s/collection.conf";' % root, "collection.cgi")
    with open(os.path.join(root, "collection.conf"), "w") as f:
        f.write('datadir: "%s/"\nlibdir: "/usr/lib/collectd/"\n' % rrd_dir)

    # The rrdcgi page, with its variables set for this tree.
    with open(RRDCGI_PAGE) as f:
        page = f.read()
    for old, new in (("<RRD::SETVAR datadir /var/lib/collectd/rrd>", "<RRD::SETVAR datadir %s>" % rrd_dir),
                     ("<RRD::SETVAR host localhost>", "<RRD::SETVAR host %s>" % HOST),
                     ("<RRD::SETVAR imgdir /var/www/html/iptraf_services>",
                      "<RRD::SETVAR imgdir %s/iptraf_services>" % www)):
        page = replace_once(page, old, new, "iptraf_services.rrdcgi")
    for path, text in ((os.path.join(cgibin, "collection.cgi"), script),
                       (os.path.join(cgibin, "iptraf_services.rrdcgi"), page),
                       (os.path.join(www, "iptraf", "iptraf_services.rrdcgi"), page)):
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)

    server = Lighttpd(root, """
server.modules = ( "mod_access", "mod_alias", "mod_cgi" )
server.document-root = "%(www)s"
mimetype.assign = ( ".png" => "image/png", ".css" => "text/css",
                    ".js" => "text/javascript", ".html" => "text/html" )
# The handler line documented in contrib/iptraf_services.rrdcgi.
cgi.assign = ( ".rrdcgi" => "/usr/bin/rrdcgi" )
alias.url = ( "/collection3/" => "%(c3)s/", "/cgi-bin/" => "%(cgibin)s/" )
$HTTP["url"] =~ "^/collection3/bin/" { cgi.assign = ( ".cgi" => "/usr/bin/perl" ) }
$HTTP["url"] =~ "^/collection3/(etc|lib)/" { url.access-deny = ( "" ) }
# As Debian's conf-available/10-cgi.conf: run what is there by its #! line.
$HTTP["url"] =~ "^/cgi-bin/" { cgi.assign = ( "" => "" ) }
""" % dict(www=www, c3=c3, cgibin=cgibin))
    server.start()
    try:
        yield dict(server=server, root=root, www=www, t_end=t_end)
    finally:
        server.stop()


def get_png(server, path):
    status, ctype, body = server.get(path)
    assert status == 200 and ctype.startswith("image/png"), \
        "%s: %s %s %r\n%s" % (path, status, ctype, body[:300], server.log())
    return body


def count_near(image, rgb, tol=6):
    """Pixels of `image` (PIL) within `tol` of colour rgb on every channel."""
    n = 0
    for count, c in image.convert("RGB").getcolors(1 << 24):
        if all(abs(a - b) <= tol for a, b in zip(c, rgb)):
            n += count
    return n


def top_row(image, rgb):
    """The highest row (smallest y) holding a pixel of exactly colour rgb."""
    image = image.convert("RGB")
    width = image.size[0]
    for i, c in enumerate(image.getdata()):
        if c == rgb:
            return i // width
    return None


def png_image(data):
    import io

    import PIL.Image
    return PIL.Image.open(io.BytesIO(data))


# collection3's GenericIO fills RX with 0000ff faded to (191,191,255);
# collection.cgi fills incoming with its HalfBlue, b7b7f7.
C3_RX_AREA = (191, 191, 255)
CGI_IN_AREA = (183, 183, 247)
RRDCGI_IN_AREA = (0, 204, 0)    # 00CC00
RRDCGI_OUT_LINE = (0, 0, 255)   # 0000FF


def test_collection3_graphs_each_port(site):
    server = site["server"]
    status, ctype, body = server.get(
        "/collection3/bin/index.cgi?action=show_selection;hostname=%s;plugin=iptraf_services" % HOST)
    page = body.decode()
    assert status == 200 and "text/html" in ctype, page[:500]
    srcs = [html.unescape(s) for s in re.findall(r'src="(graph\.cgi\?[^"]+)"', page)]
    octets = {re.search(r"type_instance=([^;]+)", s).group(1): s
              for s in srcs if "type=if_octets" in s}
    assert sorted(octets) == sorted(PORTS)
    assert "plugin_instance=eth0" in octets["tcp-22"]
    data = get_png(server, "/collection3/bin/" + octets["tcp-22"])
    assert len(data) > 5000
    assert png_size(data) == (497, 182)  # 400 x 100 canvas (GraphWidth 400)
    # The RX area is drawn: two hours of a day's graph are filled.
    assert count_near(png_image(data), C3_RX_AREA) > 1000


def test_collection_cgi_graphs_each_port(site):
    server = site["server"]
    status, ctype, body = server.get(
        "/cgi-bin/collection.cgi?action=show_plugin;host=%s;plugin=iptraf_services" % HOST)
    page = body.decode()
    assert status == 200 and "html" in ctype, page[:500]
    srcs = [html.unescape(s) for s in re.findall(r'<img src="([^"]+)"', page)]
    octets = {re.search(r"type_instance=([^;]+)", s).group(1): s
              for s in srcs if "type=if_octets" in s}
    assert sorted(octets) == sorted(PORTS)
    data = get_png(server, octets["tcp-22"])
    assert len(data) > 5000
    assert png_size(data) == (497, 182)  # -w 400, rrdtool's default height 100
    assert count_near(png_image(data), CGI_IN_AREA) > 1000


@pytest.mark.parametrize("path", ["/cgi-bin/iptraf_services.rrdcgi",
                                  "/iptraf/iptraf_services.rrdcgi"])
def test_rrdcgi_page_graphs_each_port_in_bits_per_second(site, path):
    server = site["server"]
    for f in os.listdir(os.path.join(site["www"], "iptraf_services")):
        os.unlink(os.path.join(site["www"], "iptraf_services", f))
    status, ctype, body = server.get(path)
    page = body.decode()
    assert status == 200 and ctype.startswith("text/html"), page[:500] + server.log()
    assert "[ERROR" not in page, page
    imgs = re.findall(r'<IMG SRC="([^"]+)" WIDTH="(\d+)" HEIGHT="(\d+)" ALT="([^"]+)">', page)
    assert [alt for _, _, _, alt in imgs] == PORTS
    for src, width, height, alt in imgs:
        assert src == "/iptraf_services/%s-eth0-%s.png" % (HOST, alt)
        data = get_png(server, src)
        assert png_size(data) == (int(width), int(height)) == (597, 232)  # 500 x 150 canvas
    # Bits per second: bytes per 300 s block x 8; in and out the right way round.
    for proto, port, _, in_b, _, out_b in PER_BLOCK:
        assert ("6 hour average: in %.2f bit/s, out %.2f bit/s" % (in_b * 8 / 300, out_b * 8 / 300)) in page
    assert "6 hour average: in 266.67 bit/s, out 80.00 bit/s" in page  # tcp/22
    # Green area = in, blue line = out: on tcp/22 (in 266.67 > out 80 bit/s)
    # the area reaches above the line; on tcp/80 (in 160 < out 2000) below it.
    tcp22 = png_image(get_png(server, imgs[0][0]))
    tcp80 = png_image(get_png(server, imgs[2][0]))
    assert count_near(tcp22, RRDCGI_IN_AREA, tol=0) > 1000
    assert count_near(tcp22, RRDCGI_OUT_LINE, tol=0) > 100
    assert top_row(tcp22, RRDCGI_IN_AREA) < top_row(tcp22, RRDCGI_OUT_LINE)
    assert top_row(tcp80, RRDCGI_OUT_LINE) < top_row(tcp80, RRDCGI_IN_AREA)


def chromium_screenshot(url, workdir, name, size=(1100, 1400)):
    """Loads url in headless Chromium; returns the screenshot's path."""
    profile = os.path.join(workdir, "chromium-" + name)
    shot = os.path.join(workdir, name + ".png")
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--hide-scrollbars", "--user-data-dir=" + profile,
           "--screenshot=" + shot, "--window-size=%d,%d" % size, url]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True), shot


def test_pages_render_in_headless_chromium(site):
    server = site["server"]
    pages = {
        "collection3": ("/collection3/bin/index.cgi?action=show_selection;hostname=%s;"
                        "plugin=iptraf_services;timespan=86400" % HOST, C3_RX_AREA),
        "collection_cgi": ("/cgi-bin/collection.cgi?action=show_plugin;host=%s;"
                           "plugin=iptraf_services;timespan=day" % HOST, CGI_IN_AREA),
        "rrdcgi": ("/cgi-bin/iptraf_services.rrdcgi", RRDCGI_IN_AREA),
    }
    size = (1100, 1400)
    procs = {}
    try:
        for name, (path, _) in pages.items():
            procs[name] = chromium_screenshot(server.url(path), site["root"], name, size)
        for name, (proc, shot) in procs.items():
            out = proc.communicate(timeout=90)[0].decode(errors="replace")
            assert proc.returncode == 0, out
            assert os.path.getsize(shot) > 20000, (name, out)
            assert png_size(shot) == size
            import PIL.Image
            image = PIL.Image.open(shot)
            assert len(image.convert("RGB").getcolors(1 << 24)) > 100, name
            # The graphs were fetched through the server and drawn.
            assert count_near(image, pages[name][1]) > 1000, name
    finally:
        for proc, _ in procs.values():
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
