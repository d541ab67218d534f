"""collectd.conf.d/rrdtool-mrtg.conf.example gives the plugin's RRD files the
original MRTG recipe's archives: a real collectd includes the shipped file
as it is, and `rrdtool info` on the files it creates shows the layout."""
import math
import os
import re
import subprocess
import time

from harness import (CONF_D, Collectd, append, feed_blocks, rrd_info,
                     rrd_lastupdate, rrd_rras, started_line)

EXAMPLE = os.path.join(CONF_D, "rrdtool-mrtg.conf.example")

# The MRTG recipe: 5 min for 2 days, 30 min for 2 weeks, 2 h for 2 months,
# 1 day for 2 years; (steps per row, rows), each as AVERAGE, MIN and MAX.
MRTG = [(1, 730), (6, 744), (24, 744), (288, 730)]
EXPECTED_RRAS = [(cf, pdp, rows) for pdp, rows in MRTG for cf in ("AVERAGE", "MIN", "MAX")]


def example_settings():
    """{option: [values]} of the active lines of the example's <Plugin rrdtool>."""
    with open(EXAMPLE) as f:
        text = f.read()
    blocks = re.findall(r"^<Plugin rrdtool>\n(.*?)^</Plugin>", text, re.M | re.S)
    assert len(blocks) == 1, "one <Plugin rrdtool> block expected"
    settings = {}
    for line in blocks[0].splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            key, value = line.split(None, 1)
            settings.setdefault(key, []).append(value)
    return settings


def collectd_rras(step, rows, timespans):
    """The RRAs collectd 5.12's rrdtool plugin derives from these settings
    (src/utils/rrdcreate/rrdcreate.c, rra_get)."""
    rras = []
    cdp_len = 0
    for span in timespans:
        if span // step < rows:
            span = step * rows
        cdp_len = 1 if cdp_len == 0 else int(math.floor(span / (rows * step)))
        cdp_num = int(math.ceil(span / (cdp_len * step)))
        rras += [(cf, cdp_len, cdp_num) for cf in ("AVERAGE", "MIN", "MAX")]
    return rras


def test_example_settings_compute_the_mrtg_archives():
    s = example_settings()
    assert s == {"StepSize": ["300"], "HeartBeat": ["600"], "RRARows": ["730"],
                 "RRATimespan": ["172800", "1339200", "5356800", "63072000"]}
    rras = collectd_rras(int(s["StepSize"][0]), int(s["RRARows"][0]),
                         [int(v) for v in s["RRATimespan"]])
    assert rras == EXPECTED_RRAS
    # Row lengths in seconds: 5 min, 30 min, 2 h, 1 day.
    assert sorted({pdp * 300 for _, pdp, _ in rras}) == [300, 1800, 7200, 86400]


def test_collectd_creates_mrtg_rrds_with_the_shipped_file(tmp_path):
    t0 = (int(time.time()) // 300) * 300 - 3600
    log = str(tmp_path / "tcp_udp_services-eth0.log")
    append(log, started_line(t0))
    cfg = ('<Plugin iptraf_services>\n  <Log "%s">\n    Interval 0.1\n  </Log>\n</Plugin>\n' % log)
    # The shipped file, included as it is, after the harness's own
    # <Plugin rrdtool> (DataDir, CacheTimeout 0), as in Debian's layout.
    cd = Collectd(str(tmp_path / "cd"), cfg, extra='Include "%s"\n' % EXAMPLE)
    blocks = [(t0 + 300 * k, [("tcp", 22, 10 * k, 10000 * k, 5 * k, 3000 * k),
                              ("udp", 53, 2 * k, 150 * k, 2 * k, 450 * k)])
              for k in (1, 2, 3)]
    with cd:
        feed_blocks(cd, log, "eth0", blocks)
        # No warning from the rrdtool plugin (create races, rejected updates).
        assert "rrdtool plugin" not in cd.log()

    for type_, ti in (("if_octets", "tcp-22"), ("if_packets", "tcp-22"),
                      ("if_octets", "udp-53"), ("if_packets", "udp-53")):
        path = cd.rrd_path("eth0", type_, ti)
        info = rrd_info(path)
        assert info["step"] == 300, path
        for ds in ("rx", "tx"):
            assert info["ds[%s].type" % ds] == "DERIVE"
            assert info["ds[%s].minimal_heartbeat" % ds] == 600
            assert info["ds[%s].min" % ds] == 0.0
        assert rrd_rras(path) == EXPECTED_RRAS, path
        assert {info["rra[%d].xff" % i] for i in range(12)} == {0.1}
        assert rrd_lastupdate(path)[0] == t0 + 900

    octets = cd.rrd_path("eth0", "if_octets", "tcp-22")
    assert rrd_lastupdate(octets) == (t0 + 900, {"rx": 30000, "tx": 9000})
    # 5 min rows hold the rate: 10000 bytes in, 3000 out per 300 s.
    out = subprocess.run(["rrdtool", "fetch", octets, "AVERAGE", "-r", "300",
                          "-s", str(t0 + 300), "-e", str(t0 + 900)],
                         check=True, capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines():
        if ":" in line:
            t, vals = line.split(":", 1)
            rows[int(t)] = [float(v) for v in vals.split()]
    for t in (t0 + 600, t0 + 900):
        assert math.isclose(rows[t][0], 10000 / 300, rel_tol=1e-9), rows
        assert math.isclose(rows[t][1], 3000 / 300, rel_tol=1e-9), rows
