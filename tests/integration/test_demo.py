"""The README's first command: scripts/demo builds, installs, runs collectd
with the plugin on the bundled log, on a day of log ending now and live on
lo, writes RRDs and serves collection3's graphs of them; what a first-time
user sees in a browser is checked in a headless Chromium: the style sheet
applied, a full "Day" graph for the log, a live graph filled within a
minute."""
import html
import io
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request

from browser import Browser
from harness import REPO, free_port, rrd_lastupdate

# collection3's canvas is the white rectangle of its graph image.
CANVAS_WHITE = (255, 255, 255)


def day_log_last_block(path):
    """(time, {"tcp-443": (in_p, in_b, out_p, out_b)}) of the log's last
    block, read with a pattern of its own (not the plugin's parser)."""
    with open(path) as f:
        text = f.read()
    blocks = text.split("*** TCP/UDP traffic log, generated ")
    head, body = blocks[-1].split("\n", 1)
    t = int(time.mktime(time.strptime(head.strip(), "%a %b %d %H:%M:%S %Y")))
    entries = {}
    for m in re.finditer(r"^(TCP|UDP)/(\d+): \d+ packets, \d+ bytes total, [^;]+; "
                         r"(\d+) packets, (\d+) bytes incoming, [^;]+; "
                         r"(\d+) packets, (\d+) bytes outgoing, ", body, re.M):
        entries["%s-%s" % (m.group(1).lower(), m.group(2))] = tuple(int(x) for x in m.groups()[2:])
    return t, entries


def known_fraction(rrd, begin, end):
    """The fraction of the rows `rrdtool fetch AVERAGE` gives for
    [begin, end] whose rx and tx are both known."""
    out = subprocess.run(["rrdtool", "fetch", rrd, "AVERAGE", "-s", str(begin), "-e", str(end)],
                         check=True, capture_output=True, text=True).stdout
    rows = [l.split(":", 1)[1].split() for l in out.splitlines() if re.match(r"^\d+:", l)]
    known = [r for r in rows if "-nan" not in r and "nan" not in r]
    return len(known) / len(rows), rows


def plot_columns(png):
    """(columns of the canvas holding drawn data, canvas width): a pixel is
    data when it is bluish or greenish (collection3's RX 0000ff and TX
    00b000 lines and their faded areas), not white, grey or the red grid."""
    import PIL.Image
    im = PIL.Image.open(io.BytesIO(png)).convert("RGB")
    w, h = im.size
    px = im.load()
    white = [(x, y) for y in range(h) for x in range(w) if px[x, y] == CANVAS_WHITE]
    x0, x1 = min(p[0] for p in white), max(p[0] for p in white)
    y0, y1 = min(p[1] for p in white), max(p[1] for p in white)
    cols = 0
    for x in range(x0, x1 + 1):
        if any(max(px[x, y][1], px[x, y][2]) - px[x, y][0] >= 25 for y in range(y0, y1 + 1)):
            cols += 1
    return cols, x1 - x0 + 1


def get(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read()


class PageLoads:
    """Fetches a URL every 0.5 s until stopped: live traffic on the demo's
    web port for its capture of lo to count (connection refused until the
    web server is up is traffic too: a SYN and a RST)."""

    def __init__(self, port):
        self.url = "http://127.0.0.1:%d/collection3/share/style.css" % port
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop_event.wait(0.5):
            try:
                get(self.url)
            except (OSError, urllib.error.URLError):
                pass

    def stop(self):
        self.stop_event.set()
        self.thread.join()


PAGE_STATE = """JSON.stringify({
  contentType: document.contentType,
  sheetRules: Array.from(document.styleSheets).map(s => s.cssRules.length),
  form: getComputedStyle(document.querySelector("form")).display,
  controls: Array.from(document.querySelectorAll("div.graph_float div.controls"))
                 .map(e => getComputedStyle(e).display),
  images: Array.from(document.querySelectorAll("img.graph_image"))
               .map(i => [i.getAttribute("src"), i.complete, i.naturalWidth, i.naturalHeight])
})"""


def check_page(browser, url, shot):
    """Loads a collection3 page; checks that its style sheet applied and its
    graphs loaded; writes a screenshot; returns the graphs' URLs."""
    import json
    browser.open(url)
    state = json.loads(browser.evaluate(PAGE_STATE))
    browser.screenshot(shot)
    # style.css applied: the form is a flex box and the navigation controls
    # are hidden until hovered (unstyled, they stack down the page).
    assert state["sheetRules"] and state["sheetRules"][0] > 10, state
    assert state["form"] == "flex", state
    assert state["controls"] and set(state["controls"]) == {"none"}, state
    assert state["images"], state
    for src, complete, width, height in state["images"]:
        # Drawn by rrdtool: a 400 x 100 canvas with axes and legend around it.
        assert complete and width > 400 and height > 100, state
    base = url.split("index.cgi", 1)[0]
    return [base + html.unescape(src) for src, *_ in state["images"]]


def test_demo_script(tmp_path):
    demo = str(tmp_path / "demo")
    port = free_port()
    env = dict(os.environ, ITS_SKIP_INSTALL_DEPS="1", ITS_DEMO_DIR=demo, ITS_DEMO_PORT=str(port))
    started = time.time()
    traffic = PageLoads(port)
    r = subprocess.run([os.path.join(REPO, "scripts", "demo")], env=env, capture_output=True,
                       text=True, timeout=300)
    demo_seconds = time.time() - started
    browser = None
    try:
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        out = r.stdout
        # Exact totals of the bundled log (run B continued on top of run A).
        assert re.search(r"if_octets-tcp-80\.rrd\s+1795970946\s+5714\s+1006176", out), out
        assert re.search(r"if_packets-udp-7\.rrd\s+1795970946\s+44\s+44", out), out
        url = re.search(r"Graphs \(collection3, served on 127\.0\.0\.1\): (\S+)", out).group(1)
        live_url = re.search(r"Live graphs \(the last minute\): (\S+)", out).group(1)
        assert url.startswith("http://127.0.0.1:%d/" % port)
        page = get(url)[2].decode()
        assert "iptraf_services" in page and "tcp-443" in page
        assert os.path.isfile("/usr/lib/collectd/iptraf_services.so")

        # The front end's files with the types a browser needs.
        for path, want in (("style.css", "text/css"), ("navigate.js", "text/javascript"),
                           ("shortcut-icon.png", "image/png")):
            status, ctype, _ = get("http://127.0.0.1:%d/collection3/share/%s" % (port, path))
            assert status == 200 and ctype.split(";")[0] == want, (path, ctype)

        # The day of log: its last block's exact counters in the RRD files,
        # at its time, and the last day known in (nearly) every row.
        t_end, entries = day_log_last_block(os.path.join(demo, "tcp_udp_services-eth0.log"))
        assert abs(t_end - started) < demo_seconds + 5
        rrd_dir = os.path.join(demo, "rrd", "demo", "iptraf_services-day")
        assert sorted(entries) == ["tcp-22", "tcp-25", "tcp-443", "tcp-80", "udp-123", "udp-53"]
        for ti, (in_p, in_b, out_p, out_b) in entries.items():
            assert rrd_lastupdate(os.path.join(rrd_dir, "if_octets-%s.rrd" % ti)) == \
                (t_end, {"rx": in_b, "tx": out_b}), ti
            assert rrd_lastupdate(os.path.join(rrd_dir, "if_packets-%s.rrd" % ti)) == \
                (t_end, {"rx": in_p, "tx": out_p}), ti
            frac, rows = known_fraction(os.path.join(rrd_dir, "if_octets-%s.rrd" % ti),
                                        t_end - 86400, t_end)
            assert frac >= 0.98, (ti, frac, rows[:5])

        browser = Browser(str(tmp_path / "chromium"), size=(600, 1200))
        shot = str(tmp_path / "screenshot-collection3-day.png")
        graphs = check_page(browser, url, shot)
        assert len(graphs) == len(entries)
        for g in graphs:
            assert "plugin_instance=day" in g and "begin=-86400" in g, g
            cols, width = plot_columns(get(g)[2])
            assert width == 400 and cols >= 0.97 * width, (g, cols, width)
        if os.environ.get("ITS_SCREENSHOT_DIR"):  # to refresh doc/
            shutil.copy(shot, os.environ["ITS_SCREENSHOT_DIR"])

        # The live graphs: a minute after the demo started, the last minute
        # of the capture of lo is known (but for the seconds before collectd
        # started and the step not yet complete) and drawn on the graph of
        # the web port (its low values before the web server was up, a few
        # SYN and RST, are a line on the time axis, below the canvas).
        time.sleep(max(0, started + 60 - time.time()))
        live_rrd = os.path.join(demo, "rrd", "demo", "iptraf_services-lo",
                                "if_octets-tcp-%d.rrd" % port)
        now = int(time.time())
        frac, rows = known_fraction(live_rrd, now - 60, now)
        print("live: %.2f of the last minute known at %.1f s" % (frac, time.time() - started))
        assert frac >= 0.85, (frac, rows)
        live = check_page(browser, live_url, str(tmp_path / "screenshot-collection3-live.png"))
        web = [g for g in live if "type=if_octets" in g and "type_instance=tcp-%d" % port in g]
        assert len(web) == 1 and "begin=-60" in web[0], live
        cols, width = plot_columns(get(web[0])[2])
        print("live: data drawn in %d of %d columns" % (cols, width))
        assert cols >= 0.5 * width, (web[0], cols, width, rows)
    finally:
        traffic.stop()
        if browser:
            browser.close()
        for name in ("collectd.pid", "lighttpd.pid"):
            try:
                with open(os.path.join(demo, name)) as f:
                    os.kill(int(f.read().strip()), signal.SIGTERM)
            except (OSError, ValueError):
                pass
