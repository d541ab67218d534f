"""Faults with exact counts afterwards: interfaces going down, renamed and
back; two captures and two logs in one collectd; every option given a wrong
type, an out-of-range number or an unknown value."""
import os
import time

import pytest

from harness import DATA, Collectd, append, block_text, started_line
from netns import Netns
from test_capture import add_veth, as_tuples, ground_truth, replay, wait_values

PCAP = os.path.join(DATA, "real_sample.pcap")


def times(n):
    return {k: tuple(n * x for x in v) for k, v in as_tuples(ground_truth("real_sample")).items()}


def cfg_capture(name, extra=""):
    return ' <Capture "%s">\n  Port "0-65535"\n  RetryInterval 0.2\n%s </Capture>\n' % (name, extra)


def test_interface_down_up_and_renamed(tmp_path):
    with Netns() as ns:
        add_veth(ns, "d0")
        cd = Collectd(str(tmp_path / "cd"),
                      "<Plugin iptraf_services>\n%s</Plugin>\n" % cfg_capture("d0"),
                      rrd=False, netns=ns.name)
        with cd:
            cd.wait_log("capture on d0: started")
            replay(ns, "d0", PCAP)
            assert wait_values(cd, "d0", times(1)) == times(1)
            # Down and up again: said once each, counting goes on.
            ns.ip("link", "set", "d0", "down")
            cd.wait_log("capture on d0: the interface is down")
            ns.ip("link", "set", "d0", "up")
            cd.wait_log("capture on d0: the interface is up again")
            replay(ns, "d0", PCAP)
            assert wait_values(cd, "d0", times(2)) == times(2)
            # Renamed away: the block follows the name, not the device.
            ns.ip("link", "set", "d0", "down")
            ns.ip("link", "set", "d0", "name", "d1")
            ns.ip("link", "set", "d1", "up")
            cd.wait_log("capture on d0: the interface does not exist (yet)")
            replay(ns, "d1", PCAP)  # not d0's traffic
            time.sleep(1.5)
            assert wait_values(cd, "d0", times(2), timeout=2) == times(2)
            # And back.
            ns.ip("link", "set", "d1", "down")
            ns.ip("link", "set", "d1", "name", "d0")
            ns.ip("link", "set", "d0", "up")
            time.sleep(1)
            replay(ns, "d0", PCAP)
            assert wait_values(cd, "d0", times(3)) == times(3)
            cd.wait_log("capture on d0: resumed")
            assert cd.log().count("the interface is down") == 1
            drops = cd.csv_rows("d0", "if_rx_dropped", "capture")
            assert drops[-1][1] == 0
        assert cd.proc.returncode == 0


def test_two_captures_and_two_logs_in_one_collectd(tmp_path):
    t0 = (int(time.time()) // 60) * 60 - 3600
    logs = [str(tmp_path / ("tcp_udp_services-eth%d.log" % i)) for i in (0, 1)]
    for i, log in enumerate(logs):
        append(log, started_line(t0))
        append(log, block_text(t0 + 60, [("tcp", 22, 1, 100 * (i + 1), 1, 10)]))
    synth = as_tuples(ground_truth("synth_sample", 1023))
    with Netns() as ns:
        add_veth(ns, "v0")
        body = ("<Plugin iptraf_services>\n" + cfg_capture("lo").replace('Port "0-65535"', 'Port "0-1023"')
                + cfg_capture("v0")
                + "".join(' <Log "%s">\n </Log>\n' % l for l in logs) + "</Plugin>\n")
        cd = Collectd(str(tmp_path / "cd"), body, rrd=False, netns=ns.name)
        with cd:
            cd.wait_log("capture on lo: started")
            cd.wait_log("capture on v0: started")
            a = ns.popen(["tcpreplay", "-i", "lo", "--topspeed", os.path.join(DATA, "synth_sample.pcap")])
            b = ns.popen(["tcpreplay", "-i", "v0", "--topspeed", PCAP])
            for i, log in enumerate(logs):
                append(log, block_text(t0 + 120, [("tcp", 22, 5, 500 * (i + 1), 5, 50)]))
            assert a.wait(60) == 0 and b.wait(60) == 0
            assert wait_values(cd, "lo", synth) == synth
            assert wait_values(cd, "v0", times(1)) == times(1)
            assert cd.wait_rows("eth0", "if_octets", "tcp-22", 2)[-1] == (t0 + 120, 500, 50)
            assert cd.wait_rows("eth1", "if_octets", "tcp-22", 2)[-1] == (t0 + 120, 1000, 50)


BAD_OPTIONS = [
    # (block, option line, words the message must contain)
    ("Log", 'Instance 5', ['"Instance"', "5"]),
    ("Log", 'Port true', ['"Port"']),
    ("Log", 'Port "tcp/nosuchservice"', ['"tcp/nosuchservice"']),
    ("Log", 'Port "udp/65536"', ['"udp/65536"']),
    ("Log", 'ReplayHistory "yes"', ['"ReplayHistory"', '"yes"']),
    ("Log", 'Interval "often"', ['"Interval"', '"often"']),
    ("Log", 'Interval 0', ['"Interval"', "0 is out of range"]),
    ("Log", 'LogInterval -5', ['"LogInterval"', "-5"]),
    ("Log", 'IncompleteBlockTimeout true', ['"IncompleteBlockTimeout"', "true"]),
    ("Log", 'MaxLineLength 10', ['"MaxLineLength"', "10 is out of range"]),
    ("Log", 'Bogus 1', ['unknown option "Bogus"']),
    ("Capture", 'Instance "a/b"', ['Instance "a/b"']),
    ("Capture", 'File 3', ['"File"', "3"]),
    ("Capture", 'Filter "tcp port eighty"', ['"Filter"', '"tcp port eighty"']),
    ("Capture", 'BufferSize 0', ['"BufferSize"', "0 is out of range"]),
    ("Capture", 'BufferSize "big"', ['"BufferSize"', '"big"']),
    ("Capture", 'SnapLen 10', ['"SnapLen"', "10 is out of range"]),
    ("Capture", 'Promiscuous 1', ['"Promiscuous"', "1"]),
    ("Capture", 'ReportOther "no"', ['"ReportOther"', '"no"']),
    ("Capture", 'FragmentTableSize 1', ['"FragmentTableSize"', "1 is out of range"]),
    ("Capture", 'FragmentTimeout 0', ['"FragmentTimeout"', "0 is out of range"]),
    ("Capture", 'RetryInterval 0', ['"RetryInterval"', "0 is out of range"]),
    ("Capture", 'Port "tcp/1-2-3"', ['"tcp/1-2-3"']),
    ("Capture", 'Sniff true', ['unknown option "Sniff"']),
]


@pytest.mark.parametrize("block,line,words", BAD_OPTIONS,
                         ids=["%s-%s" % (b, l.split()[0]) + str(i) for i, (b, l, w) in enumerate(BAD_OPTIONS)])
def test_every_bad_option_is_named_and_nothing_runs(tmp_path, block, line, words):
    log = str(tmp_path / "tcp_udp_services-eth0.log")
    t0 = int(time.time()) - 600
    append(log, started_line(t0))
    append(log, block_text(t0 + 60, [("tcp", 22, 1, 1, 1, 1)]))
    arg = log if block == "Log" else "lo"
    # A good block next to the bad one: the plugin must not run half-configured.
    body = ('<Plugin iptraf_services>\n <%s "%s">\n  %s\n </%s>\n <Log "%s">\n  Instance "good"\n </Log>\n</Plugin>\n'
            % (block, arg, line, block, log))
    cd = Collectd(str(tmp_path / "cd"), body, rrd=False)
    cd.start(wait_for=None)
    try:
        cd.wait_log("iptraf_services: not started")
        text = cd.log()
        err = [l for l in text.splitlines() if "iptraf_services: <%s" % block in l or "unknown option" in l]
        assert err, text
        assert all(w in err[0] for w in words), err[0]
        cd.wait_log("Initialization complete")
        time.sleep(1.5)
        assert not os.path.exists(os.path.join(cd.csv_dir, "testhost", "iptraf_services-good"))
        assert cd.proc.poll() is None
    finally:
        cd.stop()


def test_log_permission_denied_then_granted(tmp_path):
    """collectd running as nobody: a clear error once, retried, then read."""
    import shutil
    import subprocess
    import tempfile
    base = tempfile.mkdtemp(prefix="its-logperm-")
    try:
        os.chmod(base, 0o755)
        t0 = int(time.time()) - 600
        log = os.path.join(base, "tcp_udp_services-eth0.log")
        append(log, started_line(t0))
        append(log, block_text(t0 + 60, [("tcp", 25, 7, 700, 3, 300)]))
        os.chmod(log, 0o600)
        work = os.path.join(base, "cd")
        cd = Collectd(work, '<Plugin iptraf_services>\n <Log "%s">\n </Log>\n</Plugin>\n' % log,
                      rrd=False)
        for root, dirs, files in os.walk(work):
            os.chmod(root, 0o777)
            for f in files:
                os.chmod(os.path.join(root, f), 0o666)
        argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                "/usr/sbin/collectd", "-f", "-C", cd.conf]
        cd.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=cd.env)
        try:
            cd.wait_log("permission denied")
            time.sleep(2)
            assert cd.log().count("permission denied") == 1
            os.chmod(log, 0o644)
            cd.wait_log("is readable now")
            assert cd.wait_rows("eth0", "if_octets", "tcp-25", 1) == [(t0 + 60, 700, 300)]
        finally:
            cd.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_idle_interface_reads_answer_at_once(tmp_path):
    """A snapshot asked for while the capture was still opening used to wait
    for the first packet (2 s, and a warning) on an idle interface."""
    with Netns() as ns:
        cd = Collectd(str(tmp_path / "cd"),
                      '<Plugin iptraf_services>\n <Capture "lo">\n </Capture>\n</Plugin>\n',
                      rrd=False, netns=ns.name)
        with cd:
            cd.wait_log("capture on lo: started")
            time.sleep(3)
            rows = cd.csv_rows("lo", "if_packets", "malformed")
        log = cd.log()
        assert "did not answer" not in log and "took" not in log, log
        assert len(rows) >= 2
