"""Faults with exact counts afterwards: interfaces going down, renamed and
back; two captures and two logs in one collectd; every option given a wrong
type, an out-of-range number or an unknown value."""
import os
import subprocess
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


# --- interfaces changing while traffic flows ------------------------------
# A sender in the namespace writes known frames on v0p at a steady 1000 a
# second the whole time; the plugin watches v0; a witness of our own (see
# traffic.py: a plain AF_PACKET socket, no libpcap) counts what the kernel
# delivered on v0, split into phases at moments when nothing can arrive.
# The plugin's totals must equal the witness's phases under the name v0,
# exactly. Frames sent while v0 is down or gone never arrive (a veth drops
# what it cannot deliver; the sender sees its sends fail once v0p is gone),
# so they are in no phase and nobody counts them.

from test_capture import last_values, wait_values  # noqa: E402
from test_ebpf import built_with_ebpf  # noqa: E402
from traffic import TCP_IP_BYTES, TCP_PORT, UDP_IP_BYTES, UDP_PORT, Sender, Witness, expected  # noqa: E402

CHURN_PORTS = '  Port "udp/5001" "tcp/80"\n'


@pytest.fixture(params=["pcap", "ebpf"])
def method(request):
    """Both counting methods face the same witness."""
    if request.param == "ebpf" and not built_with_ebpf():
        pytest.skip("the plugin was built without the eBPF method")
    return request.param


def churn_netns(ns):
    """No IPv6 in the namespace (no neighbour discovery on the veths), v0 up
    with its peer v0p."""
    for key in ("all", "default"):
        ns.run(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % key])
    make_pair(ns, peer_up=True)


def make_pair(ns, peer_up):
    ns.ip("link", "add", "v0", "type", "veth", "peer", "name", "v0p")
    ns.ip("link", "set", "v0", "up")
    if peer_up:
        ns.ip("link", "set", "v0p", "up")


def churn_collectd(tmp_path, ns, method):
    """collectd counting on v0 with `method`, started; skips where eBPF
    cannot load."""
    block = cfg_capture("v0", '  Method "%s"\n' % method).replace('  Port "0-65535"\n', CHURN_PORTS)
    cd = Collectd(str(tmp_path / "cd"), "<Plugin iptraf_services>\n%s</Plugin>\n" % block,
                  rrd=False, netns=ns.name)
    cd.start()
    end = time.time() + 10
    while "capture on v0: started" not in cd.log():
        if 'Method "ebpf": ' in cd.log() or time.time() > end:
            cd.stop()
            if method == "ebpf" and 'Method "ebpf": ' in cd.log():
                pytest.skip("eBPF cannot load here: " + cd.log().split('Method "ebpf": ')[1].splitlines()[0])
            raise AssertionError(cd.log())
        time.sleep(0.02)
    return cd


def wait_count(cd, text, n, timeout=10):
    end = time.time() + timeout
    while cd.log().count(text) < n:
        assert cd.proc.poll() is None, cd.log()
        assert time.time() < end, "%r not %d times in the log:\n%s" % (text, n, cd.log())
        time.sleep(0.02)


def sys_counter(ns, dev, name):
    return int(ns.run(["cat", "/sys/class/net/%s/statistics/%s" % (dev, name)], text=True).stdout)


def settle_and_stop(cd, exp):
    """The plugin's totals once they stop moving; then collectd, which must
    still run and must leave within 2 s of SIGTERM."""
    got = wait_values(cd, "v0", exp, timeout=10)
    assert cd.proc.poll() is None, cd.log()
    t = time.time()
    cd.stop(timeout=10)
    took = time.time() - t
    assert cd.proc.returncode == 0
    assert took < 2.0, took
    return got


def report(what, sent, seen, phases, got, exp):
    print("\n%s: sent %s, failed %s; witness %s (drops %d); plugin %s; expected %s"
          % (what, sent["sent"], sent["failed"],
             {p: (c["frames"], c["udp"][0], c["tcp"][2]) for p, c in seen["phases"].items()},
             seen["drops"], got, exp))


def test_down_and_up_under_load_counts_exactly(tmp_path, method):
    """v0 taken down and up three times while the sender runs. libpcap's
    handle survives down/up (the kernel unhooks and rehooks its socket), so
    the plugin must count every frame that arrived on v0, and the kernel's
    own counters agree: every frame the sender tried was either delivered
    to v0 or dropped by the veth because v0 was down."""
    with Netns() as ns:
        churn_netns(ns)
        cd = churn_collectd(tmp_path, ns, method)
        try:
            w = Witness(ns, "v0", "v0")
            snd = Sender(ns, "v0p")
            for pause in (0.3, 0.02, 1.0):
                time.sleep(1.0)
                ns.ip("link", "set", "v0", "down")
                time.sleep(pause)
                ns.ip("link", "set", "v0", "up")
            time.sleep(1.0)
            sent = snd.stop()
            seen = w.end()
            rx = sys_counter(ns, "v0", "rx_packets")
            dropped = sys_counter(ns, "v0p", "tx_dropped")
            exp = expected(seen["phases"], ["v0"])
            got = settle_and_stop(cd, exp)
        finally:
            cd.stop()
        report("down/up " + method, sent, seen, seen["phases"], got, exp)
        print("kernel: v0 rx_packets %d, v0p tx_dropped %d" % (rx, dropped))
        v0 = seen["phases"]["v0"]
        assert seen["drops"] == 0
        assert v0["frames"] == v0["udp"][0] + v0["tcp"][2]  # nothing else arrived
        assert v0["udp"][1] == UDP_IP_BYTES * v0["udp"][0] and v0["tcp"][3] == TCP_IP_BYTES * v0["tcp"][2]
        # The kernel's counters: every frame the sender tried was received
        # by v0 or dropped by the veth while v0 was down (a drop is usually
        # silent; now and then one near a down fails the send with ENOBUFS,
        # and is counted as dropped too). The witness saw all v0 received,
        # but a frame in flight at a down could be counted by the veth and
        # reach no packet socket: at most one per down.
        tried = sum(sent["sent"].values()) + sum(sent["failed"].values())
        assert set(sent["failed"]) <= {"No buffer space available"}
        assert rx + dropped == tried
        assert 0 <= rx - v0["frames"] <= 3
        assert dropped > 0  # traffic really flowed while v0 was down
        assert got == exp
        assert cd.log().count("the interface is down") >= 1
        assert "stopped" not in cd.log()  # one handle all along


def test_renamed_and_back_under_load_counts_only_under_its_name(tmp_path, method):
    """v0 taken down and renamed v0x while the sender runs; v0x brought up
    and carrying traffic for 1.5 s; then renamed back to v0; twice.

    Exactness: a veth is renamed only while down, and while down nothing
    arrives on it, so the witness's phase boundaries (taken while down)
    split the frames exactly into "arrived under the name v0" and "arrived
    under the name v0x". The plugin must count the first, including what
    was still in flight to it when v0 went down, and none of the second.
    Two moments cannot be exact for any capturer, and the test closes them:
    (1) v0x is brought up only once the plugin has said that v0 is gone: a
    device renamed and brought up again before anyone looked at its name
    looks, from its packet socket, like one only taken down and up (the
    next test bounds what that costs); (2) after the rename back, libpcap
    can open v0 only once it is up, so frames arriving before the plugin's
    next retry could not be seen: v0 comes up with its peer down (no frame
    can arrive) and the peer is brought up once the plugin says it
    resumed."""
    with Netns() as ns:
        churn_netns(ns)
        cd = churn_collectd(tmp_path, ns, method)
        try:
            w = Witness(ns, "v0", "v0-a")
            snd = Sender(ns, "v0p")
            for rnd, (a, b) in enumerate((("v0-a", "v0-b"), ("v0-b", "v0-c"))):
                time.sleep(1.5)
                ns.ip("link", "set", "v0", "down")  # under load
                w.phase("v0x-%d" % rnd)
                ns.ip("link", "set", "v0", "name", "v0x")
                wait_count(cd, "capture on v0: the interface does not exist (yet)", rnd + 1)
                ns.ip("link", "set", "v0x", "up")  # traffic on v0x now
                time.sleep(1.5)
                ns.ip("link", "set", "v0p", "down")
                w.phase(b)
                ns.ip("link", "set", "v0x", "down")
                ns.ip("link", "set", "v0x", "name", "v0")
                ns.ip("link", "set", "v0", "up")
                wait_count(cd, "capture on v0: resumed", rnd + 1)
                ns.ip("link", "set", "v0p", "up")
            time.sleep(1.5)
            sent = snd.stop()
            seen = w.end()
            exp = expected(seen["phases"], ["v0-a", "v0-b", "v0-c"])
            got = settle_and_stop(cd, exp)
        finally:
            cd.stop()
        report("rename " + method, sent, seen, seen["phases"], got, exp)
        ph = seen["phases"]
        assert seen["drops"] == 0
        assert all(ph[p]["frames"] > 500 for p in ("v0-a", "v0-b", "v0-c", "v0x-0", "v0x-1"))
        assert got == exp
        assert cd.log().count("reopening") == 2  # each rename said once


def test_deleted_and_created_again_under_load_counts_exactly(tmp_path, method):
    """The veth pair deleted while the sender runs, twice (the second time
    0.3 s after counting resumed), and created again. Every frame that
    reached v0 before it went away must be counted: the witness's socket
    keeps what was delivered to it after the device is gone. As in the
    rename test, the new v0 comes up with its peer down and the peer is
    brought up once the plugin says it resumed, so no frame arrives on v0
    before the plugin can have a handle on it."""
    with Netns() as ns:
        churn_netns(ns)
        cd = churn_collectd(tmp_path, ns, method)
        try:
            w = Witness(ns, "v0", "v0-0")
            snd = Sender(ns, "v0p")
            for rnd, run in enumerate((1.5, 0.3)):
                time.sleep(run)
                ns.ip("link", "del", "v0")  # under load
                w.phase("gone-%d" % rnd)
                wait_count(cd, "capture on v0 stopped", rnd + 1)
                time.sleep(0.3)  # sends fail: no such device
                make_pair(ns, peer_up=False)
                w.rebind("v0-%d" % (rnd + 1))
                wait_count(cd, "capture on v0: resumed", rnd + 1)
                ns.ip("link", "set", "v0p", "up")
            time.sleep(1.5)
            sent = snd.stop()
            seen = w.end()
            exp = expected(seen["phases"], ["v0-0", "v0-1", "v0-2"])
            got = settle_and_stop(cd, exp)
        finally:
            cd.stop()
        report("delete " + method, sent, seen, seen["phases"], got, exp)
        ph = seen["phases"]
        assert seen["drops"] == 0
        assert ph["gone-0"]["frames"] == ph["gone-1"]["frames"] == 0
        assert all(ph[p]["frames"] > 200 for p in ("v0-0", "v0-1", "v0-2"))
        assert sent["failed"]  # the sender really ran while v0p was gone or down
        assert got == exp


def test_renamed_and_up_at_once_under_load_counts_almost_nothing_of_the_new_name(tmp_path, method):
    """v0 taken down while the sender runs, then renamed v0x and brought up
    in one `ip -batch` (microseconds apart), before the plugin can have
    looked at the name.

    Not exact, by nature: from the device's packet socket, "renamed and up
    again" looks like "down and up"; the plugin learns of the rename by
    looking at the name (libpcap: every millisecond while the device is
    down; the eBPF watcher: woken by the kernel's link events), and what
    v0x received before that is counted under v0. The strongest honest
    assertion: nothing of v0 is lost, and at most 20 frames of v0x (20 ms
    at 1000 a second) are counted under v0. Measured: 0 or 1. The eBPF
    watcher used to look only every RetryInterval and counted about 200
    (all of v0x's first 0.2 s)."""
    with Netns() as ns:
        churn_netns(ns)
        cd = churn_collectd(tmp_path, ns, method)
        try:
            w = Witness(ns, "v0", "v0")
            snd = Sender(ns, "v0p")
            time.sleep(1.0)
            ns.ip("link", "set", "v0", "down")  # under load
            w.phase("v0x")
            subprocess.run(["ip", "-n", ns.name, "-batch", "-"], check=True, text=True,
                           input="link set v0 name v0x\nlink set v0x up\n")
            time.sleep(1.0)
            sent = snd.stop()
            seen = w.end()
            exp = expected(seen["phases"], ["v0"])
            time.sleep(2.5)  # two reads after the last frame: the totals are final
            got = settle_and_stop(cd, last_values(cd, "v0", exp))
        finally:
            cd.stop()
        report("rename+up " + method, sent, seen, seen["phases"], got, exp)
        ph = seen["phases"]
        assert seen["drops"] == 0 and ph["v0"]["frames"] > 500 and ph["v0x"]["frames"] > 500
        udp, tcp = ("udp", UDP_PORT), ("tcp", TCP_PORT)
        extra = {k: tuple(g - e for g, e in zip(got[k], exp[k])) for k in exp}
        print("counted under v0 beyond the witness:", extra)
        assert all(x >= 0 for d in extra.values() for x in d)  # nothing of v0 lost
        assert extra[udp][0] + extra[tcp][2] <= 20
        assert cd.log().count("reopening") == 1
