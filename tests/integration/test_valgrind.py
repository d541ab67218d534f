"""collectd with the plugin under valgrind memcheck: log and capture
sources, start, read, rotate, capture traffic, shutdown. Any memory error or
definite leak fails the test."""
import os
import re
import shutil
import subprocess
import time

import pytest

from harness import DATA, Collectd, append, block_text, started_line
from netns import Netns

pytestmark = pytest.mark.skipif(shutil.which("valgrind") is None,
                                reason="valgrind is not installed (Debian package valgrind)")


def test_memcheck_clean_over_a_whole_life(tmp_path):
    t0 = (int(time.time()) // 60) * 60 - 3600
    log = str(tmp_path / "tcp_udp_services-eth0.log")
    shutil.copy(os.path.join(DATA, "runA-after-rotation-then-runB.log"), log)
    vglog = str(tmp_path / "valgrind.log")
    cfg = ('<Plugin iptraf_services>\n'
           ' <Log "%s">\n  ReplayHistory true\n  Port "0-65535"\n </Log>\n'
           ' <Log "%s">\n </Log>\n'
           ' <Capture "lo">\n  Port "0-65535"\n  ReportOther true\n </Capture>\n'
           ' <Capture "file">\n  File "%s"\n </Capture>\n'
           ' <Capture "gone">\n  RetryInterval 0.3\n </Capture>\n'
           '</Plugin>\n' % (log, str(tmp_path / "missing.log"),
                            os.path.join(DATA, "synth_sample.pcap")))
    wrapper = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite",
               "--errors-for-leak-kinds=definite", "--num-callers=30",
               "--log-file=" + vglog]
    with Netns() as ns:
        cd = Collectd(str(tmp_path / "cd"), cfg, rrd=False, netns=ns.name, wrapper=wrapper)
        cd.start(wait_for=None)
        try:
            cd.wait_log("Initialization complete", timeout=60)
            cd.wait_log("capture on lo: started", timeout=30)
            cd.wait_rows("eth0", "if_octets", "tcp-80", 5, timeout=40)
            # Rotation and a restart while running.
            os.rename(log, log + ".1")
            append(log, started_line(t0 + 10 ** 6))
            append(log, block_text(t0 + 10 ** 6 + 60, [("tcp", 80, 1, 100, 1, 100)]))
            ns.run(["tcpreplay", "-i", "lo", "--topspeed", os.path.join(DATA, "real_sample.pcap")])
            cd.wait_rows("eth0", "if_octets", "tcp-80", 6, timeout=40)
            cd.wait_rows("lo", "if_octets", "tcp-8000", 1, timeout=40)
            time.sleep(2)
        finally:
            cd.stop(timeout=60)
    assert cd.proc.returncode == 0
    report = open(vglog).read()
    summary = re.findall(r"ERROR SUMMARY: (\d+) errors", report)
    assert summary and summary[-1] == "0", report[-6000:]
    lost = re.findall(r"definitely lost: ([\d,]+) bytes", report)
    assert not lost or lost[-1] == "0", report[-6000:]
