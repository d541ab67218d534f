"""The README's first command: scripts/demo builds, installs, runs collectd
with the plugin on the bundled log (and lo), writes RRDs and serves graphs."""
import os
import re
import signal
import subprocess
import urllib.request

from harness import REPO, free_port


def test_demo_script(tmp_path):
    demo = str(tmp_path / "demo")
    port = free_port()
    env = dict(os.environ, ITS_SKIP_INSTALL_DEPS="1", ITS_DEMO_DIR=demo, ITS_DEMO_PORT=str(port))
    r = subprocess.run([os.path.join(REPO, "scripts", "demo")], env=env, capture_output=True,
                       text=True, timeout=300)
    try:
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        out = r.stdout
        # Exact totals of the bundled log (run B continued on top of run A).
        assert re.search(r"if_octets-tcp-80\.rrd\s+1795970946\s+5714\s+1006176", out), out
        assert re.search(r"if_packets-udp-7\.rrd\s+1795970946\s+44\s+44", out), out
        url = re.search(r"Graphs \(collection3, served on 127\.0\.0\.1\): (\S+)", out).group(1)
        assert url.startswith("http://127.0.0.1:%d/" % port)
        page = urllib.request.urlopen(url, timeout=30).read().decode()
        assert "iptraf_services" in page and "tcp-80" in page
        assert os.path.isfile("/usr/lib/collectd/iptraf_services.so")
    finally:
        for name in ("collectd.pid", "lighttpd.pid"):
            try:
                with open(os.path.join(demo, name)) as f:
                    os.kill(int(f.read().strip()), signal.SIGTERM)
            except (OSError, ValueError):
                pass
